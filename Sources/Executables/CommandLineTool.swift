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
        case "worker":
            WorkerCommand.main(Array(arguments.dropFirst(2)))
        case "drain":
            DrainCommand.main(Array(arguments.dropFirst(2)))
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
          drain     move log parts from RabbitMQ to the job queues (travis-logs drain --help)
          worker    run jobs from Redis queues (travis-logs worker --help)
          version   print the version
          help      print this help
        """
}
