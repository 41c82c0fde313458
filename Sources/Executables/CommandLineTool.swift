import Foundation
import LogsCore

/// The `travis-logs` command: reads its subcommand and runs it.
enum CommandLineTool {
    static let version = "0.1.0"

    static func main(_ arguments: [String]) {
        let command = arguments.dropFirst().first ?? "help"
        switch command {
        case "version", "--version":
            print("travis-logs \(version)")
        case "config":
            printConfiguration()
        case "web":
            WebCommand.main()
        case "help", "--help", "-h":
            print(usage)
        default:
            fail("unknown command \"\(command)\"\n\(usage)")
        }
    }

    /// Prints every setting with its effective value, secrets masked.
    static func printConfiguration() {
        do {
            let configuration = try LogsConfiguration(environment: ProcessInfo.processInfo.environment)
            let settings = configuration.effectiveSettings()
            let width = settings.map(\.name.count).max() ?? 0
            for (name, value) in settings {
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
            }
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("travis-logs: \(message)\n".utf8))
        exit(2)
    }

    static let usage = """
        usage: travis-logs <command>

        commands:
          config    print every setting read from the environment, secrets masked
          web       serve the HTTP API on PORT (default 5555)
          version   print the version
          help      print this help
        """
}
