// swift-tools-version:6.0
import PackageDescription

// A service that embeds LogsCore's aggregation and archiving with an archive of its own.
let package = Package(
    name: "EmbeddedArchiving",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "travis-logs", path: "../..")],
    targets: [
        .executableTarget(
            name: "EmbeddedArchiving",
            dependencies: [.product(name: "LogsCore", package: "travis-logs")]
        )
    ],
    swiftLanguageModes: [.v6]
)
