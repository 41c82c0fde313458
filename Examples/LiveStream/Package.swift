// swift-tools-version:6.0
import PackageDescription

// A client of the live stream endpoint that prints a job's log as its parts arrive.
let package = Package(
    name: "LiveStream",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "travis-logs", path: "../..")],
    targets: [
        .executableTarget(
            name: "LiveStream",
            dependencies: [.product(name: "LogsCore", package: "travis-logs")]
        )
    ],
    swiftLanguageModes: [.v6]
)
