import CommandLineSupport
import Foundation
import LogsCore

/// The `config` subcommand.
enum ConfigCommand {
    /// Prints every setting with its effective value, secrets masked, or with `exampleEnvironment`
    /// the text of `.example.env`.
    static func run(exampleEnvironment: Bool) {
        if exampleEnvironment {
            print(ExampleEnvironment.render(), terminator: "")
            return
        }
        do {
            let configuration = try LogsConfiguration(environment: ProcessInfo.processInfo.environment)
            let settings = configuration.effectiveSettings()
            let width = settings.map(\.name.count).max() ?? 0
            for (name, value) in settings {
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
            }
        } catch {
            CommandLineTool.fail("\(error)")
        }
    }
}
