import Testing

/// The fault matrix and the security tests, one suite at a time: each runs simulators, routers or
/// whole `tickrouter` processes, and side by side they would starve the rest of the suite on two
/// cores (the suites around them still run in parallel with it).
@Suite(.serialized) enum Reliability {}
