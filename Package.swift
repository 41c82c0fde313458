// swift-tools-version:6.0
import PackageDescription

/// A system-library target for one C library found through pkg-config, with the Debian package
/// that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let package = Package(
    name: "travis-logs",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LogsCore", targets: ["LogsCore"]),
        .library(name: "LogsStorage", targets: ["LogsStorage"]),
        .library(name: "LogsTransport", targets: ["LogsTransport"]),
        .library(name: "LogsHTTP", targets: ["LogsHTTP"]),
        .executable(name: "travis-logs", targets: ["Executables"]),
    ],
    targets: [
        systemLibrary("CLibPQ", pkgConfig: "libpq", apt: "libpq-dev"),
        systemLibrary("CRabbitMQ", pkgConfig: "librabbitmq", apt: "librabbitmq-dev"),
        systemLibrary("CHiredis", pkgConfig: "hiredis", apt: "libhiredis-dev"),
        systemLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        systemLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd", apt: "libmicrohttpd-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),

        .target(name: "LogsCore"),
        // An HTTP client on libcurl and the SHA-256 and HMAC helpers that request signing needs,
        // shared by the S3 archive and the Pusher broadcaster. It is not a product.
        .target(
            name: "CurlClient",
            dependencies: ["LogsCore", "CCurl", "CCrypto"]
        ),
        .target(
            name: "LogsStorage",
            dependencies: ["LogsCore", "CurlClient", "CLibPQ", "CSQLite", "CCurl", "CCrypto"]
        ),
        .target(
            name: "LogsTransport",
            dependencies: ["LogsCore", "CurlClient", "CRabbitMQ", "CHiredis", "CCurl", "CCrypto"]
        ),
        .target(
            name: "LogsHTTP",
            dependencies: ["LogsCore", "LogsTransport", "CMicroHTTPD", "CCrypto"]
        ),
        // The part splitting, RS512 signing and retrying HTTP sender behind `travis-logs send`, apart
        // from the executable so that tests can import them. It is not a product.
        .target(name: "LogSending", dependencies: ["LogsCore", "CurlClient", "CCrypto"]),
        // The command line parser and the definitions of the travis-logs subcommands, apart from
        // the executable so that tests can import them. It is not a product.
        .target(name: "CommandLineSupport", dependencies: ["LogsCore"]),
        .executableTarget(
            name: "Executables",
            dependencies: [
                "LogsCore", "LogsStorage", "LogsTransport", "LogsHTTP", "CommandLineSupport", "LogSending",
            ]
        ),
        .executableTarget(
            name: "postgres-benchmark",
            dependencies: ["LogsCore", "LogsStorage"],
            path: "Benchmarks/PostgresBenchmark"
        ),
        // The libmicrohttpd floor that script/bench/http compares the API with.
        .executableTarget(name: "http-floor", dependencies: ["CMicroHTTPD"], path: "Benchmarks/HTTPFloor"),

        .testTarget(name: "LogsCoreTests", dependencies: ["LogsCore", "TestSupport"]),
        // Helpers for tests that start local Python servers and oracles; used by test targets only.
        .target(
            name: "TestSupport", dependencies: ["LogsCore", "LogsStorage", "CurlClient"], path: "Tests/TestSupport"),
        .testTarget(name: "CurlClientTests", dependencies: ["LogsCore", "CurlClient", "TestSupport"]),
        .testTarget(name: "LogsStorageTests", dependencies: ["LogsCore", "LogsStorage", "CurlClient", "TestSupport"]),
        // Pushes and takes no-op jobs through RedisJobQueue; script/bench/redis-queue runs it.
        .executableTarget(
            name: "RedisQueueBenchmark",
            dependencies: ["LogsCore", "LogsTransport"],
            path: "Benchmarks/RedisQueueBenchmark"
        ),
        // Times the drain against a bare consume-and-acknowledge loop; script/bench/drain runs it.
        .executableTarget(
            name: "DrainBenchmark",
            dependencies: ["LogsCore", "LogsTransport", "LogsHTTP"],
            path: "Benchmarks/DrainBenchmark"
        ),
        // The AMQP publishers, the consume floor and the Pusher stand-in that script/bench/system runs.
        .executableTarget(
            name: "SystemBenchmark",
            dependencies: ["LogsTransport", "TestSupport"],
            path: "Benchmarks/SystemBenchmark"
        ),
        // A worker process on in-memory storage that the fault tests kill and restart.
        .executableTarget(
            name: "RedisWorkerFixture",
            dependencies: ["LogsCore", "LogsTransport"],
            path: "Tests/Fixtures/RedisWorkerFixture"
        ),
        .testTarget(
            name: "LogsTransportTests",
            dependencies: ["LogsCore", "LogsTransport", "CurlClient", "TestSupport", "RedisWorkerFixture"],
            // Ruby Sidekiq scripts that the compatibility tests run with `ruby`.
            exclude: ["Ruby"]
        ),
        .testTarget(
            name: "LogsHTTPTests", dependencies: ["LogsCore", "LogsHTTP", "LogsTransport", "TestSupport"],
            exclude: ["Fixtures"]),
        // Also runs the built travis-logs as a child process against SQLite, Redis and PostgreSQL.
        .testTarget(
            name: "ExecutablesTests",
            dependencies: ["LogsCore", "CommandLineSupport", "LogsStorage", "LogsTransport", "TestSupport"]),
        // Runs the travis-logs processes against PostgreSQL, Redis, RabbitMQ, S3 and a Pusher stand-in.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["LogsCore", "LogsStorage", "LogsTransport", "CurlClient", "TestSupport"]),
        .testTarget(
            name: "LogSendingTests",
            dependencies: ["LogsCore", "LogSending", "LogsHTTP", "LogsTransport", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
