import TickRouter
import TickRouterConfig
import Testing

@Suite("Feed session state machine")
struct FeedSessionStateMachineTests {
    @Test func authOnlyAfterConnectedAndSubscribeOnlyAfterAuthSuccess() {
        var machine = FeedSessionStateMachine()
        #expect(machine.received(.init(status: "auth_success", message: "")) == .warn("unexpected auth_success"))
        #expect(machine.received(.init(status: "connected", message: "Connected Successfully")) == .sendAuth)
        #expect(machine.phase == .authenticating)
        #expect(machine.received(.init(status: "connected", message: "")) == .none)
        #expect(machine.received(.init(status: "auth_success", message: "authenticated")) == .sendSubscriptions)
        #expect(machine.phase == .streaming)
        #expect(machine.received(.init(status: "success", message: "subscribed to: T.AAPL")) == .none)
    }

    @Test func authFailedMaxConnectionsAndSlowConsumerEndTheSession() {
        for (status, end) in [
            ("auth_failed", SessionEnd.authFailed("authentication failed")),
            ("max_connections", .maxConnections("authentication failed")),
            ("slow_consumer", .slowConsumer("authentication failed")),
        ] {
            var machine = FeedSessionStateMachine()
            _ = machine.received(.init(status: "connected", message: ""))
            #expect(machine.received(.init(status: status, message: "authentication failed")) == .end(end))
            #expect(machine.phase == .ended(end))
            #expect(machine.closed(reason: "socket closed") == end, "the first reason wins over the close")
        }
    }

    @Test func aPlainCloseIsReportedAsClosed() {
        var machine = FeedSessionStateMachine()
        #expect(machine.closed(reason: "EOF") == .closed("EOF"))
    }
}

@Suite("Reconnect policy")
struct ReconnectPolicyTests {
    let settings = ReconnectSettings(
        initial: .milliseconds(500), max: .seconds(30), multiplier: 2, jitter: 0, healthyAfter: .seconds(10),
        maxConnectionsCooldown: .seconds(300)
    )

    @Test func backoffGrowsExponentiallyUpToTheCap() {
        var policy = ReconnectPolicy(settings: settings)
        let delays = (0..<9).map { _ in policy.next(after: .closed("x"), healthyFor: .seconds(1)) }
        #expect(delays == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000].map { .retry(after: .milliseconds($0)) })
    }

    @Test func backoffResetsOnlyAfterAHealthyPeriod() {
        var policy = ReconnectPolicy(settings: settings)
        _ = policy.next(after: .closed("x"), healthyFor: .zero)
        _ = policy.next(after: .closed("x"), healthyFor: .zero)
        // A session that authenticated but died after 2 s is not healthy: no reset.
        #expect(policy.next(after: .closed("x"), healthyFor: .seconds(2)) == .retry(after: .seconds(2)))
        #expect(policy.next(after: .closed("x"), healthyFor: .seconds(11)) == .retry(after: .milliseconds(500)))
    }

    @Test func maxConnectionsWaitsTheCooldownAndAuthFailedStops() {
        var policy = ReconnectPolicy(settings: settings)
        #expect(policy.next(after: .maxConnections("limit"), healthyFor: .seconds(1)) == .retry(after: .seconds(300)))
        #expect(policy.next(after: .maxConnections("limit"), healthyFor: .seconds(1)) == .retry(after: .seconds(300)))
        #expect(policy.next(after: .authFailed("bad key"), healthyFor: .zero) == .stop(reason: "authentication failed: bad key"))
    }

    @Test func jitterStaysWithinItsBandAndVaries() {
        var settings = self.settings
        settings.jitter = 0.2
        var policy = ReconnectPolicy(settings: settings, seed: 42)
        var seen = Set<Duration>()
        for _ in 0..<50 {
            guard case .retry(let delay) = policy.next(after: .closed("x"), healthyFor: .seconds(60)) else {
                Issue.record("expected retry")
                return
            }
            #expect(delay >= .milliseconds(400) && delay <= .milliseconds(600))
            seen.insert(delay)
        }
        #expect(seen.count > 10)
    }
}
