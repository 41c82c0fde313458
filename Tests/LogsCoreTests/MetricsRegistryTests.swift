import Foundation
import Testing

@testable import LogsCore

@Suite("MetricsRegistry")
struct MetricsRegistryTests {
    @Test("small registry exact exposition")
    func exactRendering() {
        let registry = MetricsRegistry()
        registry.counter("logs_parts_received_total", labels: ["source": "amqp"], help: "Log parts received.")
            .increment(by: 3)
        registry.counter("logs_parts_received_total", labels: ["source": "http"]).increment()
        registry.gauge("logs_jobs_in_progress").set(2.5)
        let latency = registry.histogram(
            "logs_queue_latency_seconds",
            labels: ["queue": "log_parts"],
            buckets: [0.5, 1],
            help: "Time between enqueueing and running a job."
        )
        latency.observe(0.25)
        latency.observe(0.5)
        latency.observe(2)

        let expected = """
            # TYPE logs_jobs_in_progress gauge
            logs_jobs_in_progress 2.5
            # HELP logs_parts_received_total Log parts received.
            # TYPE logs_parts_received_total counter
            logs_parts_received_total{source="amqp"} 3
            logs_parts_received_total{source="http"} 1
            # HELP logs_queue_latency_seconds Time between enqueueing and running a job.
            # TYPE logs_queue_latency_seconds histogram
            logs_queue_latency_seconds_bucket{queue="log_parts",le="0.5"} 2
            logs_queue_latency_seconds_bucket{queue="log_parts",le="1"} 2
            logs_queue_latency_seconds_bucket{queue="log_parts",le="+Inf"} 3
            logs_queue_latency_seconds_sum{queue="log_parts"} 2.75
            logs_queue_latency_seconds_count{queue="log_parts"} 3

            """
        #expect(registry.renderPrometheus() == expected)
    }

    @Test("empty registry renders nothing")
    func emptyRegistry() {
        #expect(MetricsRegistry().renderPrometheus() == "")
    }

    @Test("same name and labels, same series")
    func seriesIdentity() {
        let registry = MetricsRegistry()

        let first = registry.counter("jobs_total", labels: ["queue": "archive", "result": "ok"])
        let again = registry.counter("jobs_total", labels: ["result": "ok", "queue": "archive"])
        let other = registry.counter("jobs_total", labels: ["queue": "purge_log", "result": "ok"])

        #expect(first === again)
        #expect(first !== other)
        #expect(registry.gauge("depth") === registry.gauge("depth"))
        #expect(registry.histogram("latency_seconds") === registry.histogram("latency_seconds"))
    }

    @Test("label value and help escaping")
    func labelEscaping() {
        let registry = MetricsRegistry()
        registry.counter("errors_total", labels: ["reason": "a\"b\\c\nd"], help: "Errors,\nby \\reason\\.").increment()

        #expect(
            registry.renderPrometheus() == """
                # HELP errors_total Errors,\\nby \\\\reason\\\\.
                # TYPE errors_total counter
                errors_total{reason="a\\"b\\\\c\\nd"} 1

                """
        )
    }

    @Test("series sorted by labels")
    func seriesOrder() {
        let registry = MetricsRegistry()
        registry.gauge("g", labels: ["b": "1"]).set(1)
        registry.gauge("g", labels: ["a": "2"]).set(2)
        registry.gauge("g", labels: ["a": "1", "c": "1"]).set(3)
        registry.gauge("g", labels: ["a": "1"]).set(4)
        registry.gauge("g").set(5)

        let lines = registry.renderPrometheus().split(separator: "\n").dropFirst()
        #expect(
            Array(lines) == [
                "g 5",
                "g{a=\"1\"} 4",
                "g{a=\"1\",c=\"1\"} 3",
                "g{a=\"2\"} 2",
                "g{b=\"1\"} 1",
            ]
        )
    }

    @Test("gauge updates and special values")
    func gaugeValues() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("temperature")

        gauge.increment()
        gauge.increment(by: 2)
        gauge.decrement(by: 0.5)
        #expect(gauge.value == 2.5)
        gauge.decrement(by: 3)
        #expect(registry.renderPrometheus().hasSuffix("temperature -0.5\n"))
        gauge.set(.infinity)
        #expect(registry.renderPrometheus().hasSuffix("temperature +Inf\n"))
        gauge.set(-.infinity)
        #expect(registry.renderPrometheus().hasSuffix("temperature -Inf\n"))
        gauge.set(.nan)
        #expect(registry.renderPrometheus().hasSuffix("temperature NaN\n"))
        gauge.set(0.000_01)
        #expect(registry.renderPrometheus().hasSuffix("temperature 1e-05\n"))
    }

    @Test("histogram durations and default buckets")
    func histogramDurations() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("aggregate_duration_seconds")

        histogram.observe(.milliseconds(250))
        histogram.observe(.seconds(20))

        let snapshot = histogram.snapshot()
        #expect(snapshot.upperBounds == MetricsRegistry.defaultBuckets)
        #expect(snapshot.sum == 20.25)
        #expect(snapshot.count == 2)
        #expect(snapshot.cumulativeCounts == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        let text = registry.renderPrometheus()
        #expect(text.contains("aggregate_duration_seconds_bucket{le=\"0.005\"} 0\n"))
        #expect(text.contains("aggregate_duration_seconds_bucket{le=\"0.25\"} 1\n"))
        #expect(text.contains("aggregate_duration_seconds_bucket{le=\"2.5\"} 1\n"))
        #expect(text.contains("aggregate_duration_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(text.contains("aggregate_duration_seconds_sum 20.25\n"))
    }

    @Test("first help text is kept")
    func lateHelp() {
        let registry = MetricsRegistry()
        registry.counter("late_total").increment()
        registry.counter("late_total", help: "First help.").increment()
        registry.counter("late_total", help: "Second help.").increment()

        #expect(registry.renderPrometheus().hasPrefix("# HELP late_total First help.\n"))
        #expect(registry.counter("late_total").value == 3)
    }

    @Test("concurrent updates all counted")
    func concurrentUpdates() {
        let registry = MetricsRegistry()

        DispatchQueue.concurrentPerform(iterations: 1000) { number in
            registry.counter("hits_total", labels: ["shard": "\(number % 4)"]).increment()
            registry.gauge("level").increment()
            registry.histogram("sizes", buckets: [10, 100]).observe(Double(number % 200))
        }

        let total = (0..<4).map { registry.counter("hits_total", labels: ["shard": "\($0)"]).value }.reduce(0, +)
        #expect(total == 1000)
        #expect(registry.gauge("level").value == 1000)
        let snapshot = registry.histogram("sizes", buckets: [10, 100]).snapshot()
        #expect(snapshot.count == 1000)
        #expect(snapshot.cumulativeCounts == [55, 505])
    }

    @Test("content type is version 0.0.4")
    func contentType() {
        #expect(MetricsRegistry.prometheusContentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test(
        "invalid metric name traps",
        arguments: ["", "9lives", "has space", "dash-name", "é"]
    )
    func invalidMetricName(name: String) async {
        await #expect(processExitsWith: .failure) { [name] in
            _ = MetricsRegistry().counter(name)
        }
    }

    @Test("invalid label name traps", arguments: ["__reserved", "has:colon", "1st", ""])
    func invalidLabelName(label: String) async {
        await #expect(processExitsWith: .failure) { [label] in
            _ = MetricsRegistry().gauge("valid_name", labels: [label: "x"])
        }
    }

    @Test("one name, two types traps")
    func conflictingTypes() async {
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.counter("shared_name")
            _ = registry.gauge("shared_name")
        }
    }

    @Test("invalid histogram setup traps")
    func invalidHistograms() async {
        await #expect(processExitsWith: .failure) {
            _ = MetricsRegistry().histogram("h", buckets: [1, 1])
        }
        await #expect(processExitsWith: .failure) {
            _ = MetricsRegistry().histogram("h", labels: ["le": "1"])
        }
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.histogram("h", buckets: [1])
            _ = registry.histogram("h", buckets: [2])
        }
    }

    @Test("colons and underscores accepted")
    func validNames() {
        let registry = MetricsRegistry()
        registry.counter("travis:logs_parts_total", labels: ["_private": "1", "Queue2": "x"]).increment()

        #expect(registry.renderPrometheus().contains("travis:logs_parts_total{Queue2=\"x\",_private=\"1\"} 1"))
    }
}
