// A NATS subscriber that checks TickRouter's stream for loss: every message's provider events
// (one JSON object, or an array of them in `payload: batch`) are counted, and the sequence number
// `q` of each (ev, sym) must be the previous one plus one. Used by scripts/bench-nats.
//
//   cc -O2 -o nats-gapcheck scripts/nats-gapcheck.c $(pkg-config --cflags --libs libnats)
//   nats-gapcheck URL SUBJECT SECONDS [WARMUP_SECONDS]
//
// Prints one line per second, then a summary line `events=… rate=… gaps=… missing=… duplicates=…`
// over the time after the warm-up. Exits 0 when it saw events and no gap, 1 otherwise.
#include <nats/nats.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TABLE_SIZE = 1 << 16, KEY_MAX = 48 };

typedef struct {
    char key[KEY_MAX];  // "ev\0sym"
    uint8_t length;
    int64_t last;
} Entry;

static Entry table[TABLE_SIZE];
static long long events, messages, gaps, missing, duplicates, unchecked;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static Entry *lookup(const char *key, size_t length) {
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < length; i++) hash = (hash ^ (uint8_t)key[i]) * 1099511628211ull;
    for (size_t probe = 0; probe < TABLE_SIZE; probe++) {
        Entry *entry = &table[(hash + probe) & (TABLE_SIZE - 1)];
        if (entry->length == 0) {
            memcpy(entry->key, key, length);
            entry->length = (uint8_t)length;
            entry->last = INT64_MIN;
            return entry;
        }
        if (entry->length == length && memcmp(entry->key, key, length) == 0) return entry;
    }
    return NULL;
}

// The string value after `"name":"` within [from, to), or NULL.
static const char *string_field(const char *from, const char *to, const char *name, size_t *length) {
    size_t name_length = strlen(name);
    for (const char *p = from; p + name_length < to; p++) {
        if (memcmp(p, name, name_length) == 0) {
            const char *start = p + name_length;
            const char *end = memchr(start, '"', to - start);
            if (!end) return NULL;
            *length = end - start;
            return start;
        }
    }
    return NULL;
}

static void check_event(const char *from, const char *to) {
    events++;
    size_t ev_length = 0, sym_length = 0;
    const char *ev = string_field(from, to, "\"ev\":\"", &ev_length);
    const char *sym = string_field(from, to, "\"sym\":\"", &sym_length);
    const char *q = NULL;
    for (const char *p = from; p + 4 < to; p++) {
        if (memcmp(p, "\"q\":", 4) == 0) { q = p + 4; break; }
    }
    if (!ev || !sym || !q || ev_length + sym_length + 1 > KEY_MAX) { unchecked++; return; }
    char key[KEY_MAX];
    memcpy(key, ev, ev_length);
    key[ev_length] = 0;
    memcpy(key + ev_length + 1, sym, sym_length);
    Entry *entry = lookup(key, ev_length + 1 + sym_length);
    if (!entry) { unchecked++; return; }
    int64_t sequence = strtoll(q, NULL, 10);
    if (entry->last != INT64_MIN) {
        if (sequence <= entry->last) duplicates++;
        else if (sequence != entry->last + 1) { gaps++; missing += sequence - entry->last - 1; }
    }
    if (sequence > entry->last) entry->last = sequence;
}

static void check_message(const char *data, int length) {
    messages++;
    const char *end = data + length;
    // Each provider event is one flat object: `{` … `}` (no nested objects in the provider's JSON).
    for (const char *p = data; p < end; p++) {
        if (*p != '{') continue;
        const char *close = memchr(p, '}', end - p);
        if (!close) break;
        check_event(p, close);
        p = close;
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL SUBJECT SECONDS [WARMUP_SECONDS]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *subject = argv[2];
    double seconds = atof(argv[3]), warmup = argc > 4 ? atof(argv[4]) : 2;
    natsConnection *connection = NULL;
    natsSubscription *subscription = NULL;
    natsStatus status = natsConnection_ConnectTo(&connection, url);
    if (status == NATS_OK) status = natsConnection_SubscribeSync(&subscription, connection, subject);
    // Never drop in the client: a gap must be the router's or the server's.
    if (status == NATS_OK) status = natsSubscription_SetPendingLimits(subscription, -1, -1);
    if (status == NATS_OK) status = natsConnection_Flush(connection);
    if (status != NATS_OK) {
        fprintf(stderr, "nats-gapcheck: %s\n", natsStatus_GetText(status));
        return 2;
    }
    printf("subscribed to %s on %s\n", subject, url);
    fflush(stdout);

    double first = 0, measureFrom = 0, lastPrint = 0;
    long long eventsAtMeasure = 0, eventsAtPrint = 0, gapsAtMeasure = 0;
    for (;;) {
        natsMsg *message = NULL;
        status = natsSubscription_NextMsg(&message, subscription, 200);
        double t = now_seconds();
        if (status == NATS_OK) {
            if (first == 0) { first = t; lastPrint = t; measureFrom = t + warmup; }
            check_message(natsMsg_GetData(message), natsMsg_GetDataLength(message));
            natsMsg_Destroy(message);
        } else if (status != NATS_TIMEOUT) {
            fprintf(stderr, "nats-gapcheck: %s\n", natsStatus_GetText(status));
            break;
        }
        if (first == 0) continue;
        if (eventsAtMeasure == 0 && t >= measureFrom) { eventsAtMeasure = events; gapsAtMeasure = gaps; }
        if (t - lastPrint >= 1) {
            printf("t=%.0fs events/s=%lld total=%lld gaps=%lld\n", t - first, (long long)((events - eventsAtPrint) / (t - lastPrint)), events, gaps);
            fflush(stdout);
            eventsAtPrint = events;
            lastPrint = t;
        }
        if (t - first >= warmup + seconds) break;
    }
    double elapsed = now_seconds() - measureFrom;
    int64_t dropped = 0;
    natsSubscription_GetDropped(subscription, &dropped);
    printf(
        "summary: subject=%s messages=%lld events=%lld measured_events=%lld rate=%.0f gaps=%lld gaps_in_window=%lld missing=%lld duplicates=%lld unchecked=%lld client_dropped=%lld\n",
        subject, messages, events, events - eventsAtMeasure, (events - eventsAtMeasure) / elapsed, gaps, gaps - gapsAtMeasure, missing,
        duplicates, unchecked, (long long)dropped
    );
    natsSubscription_Destroy(subscription);
    natsConnection_Destroy(connection);
    return events > 0 && gaps == 0 && duplicates == 0 && dropped == 0 ? 0 : 1;
}
