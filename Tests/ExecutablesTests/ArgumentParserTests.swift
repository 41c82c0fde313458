import CommandLineSupport
import Testing

@Suite("Argument parser")
struct ArgumentParserTests {
    static let command = CommandDefinition(
        name: "sample", abstract: "A command for tests.",
        options: [
            OptionDefinition("name", shortName: "n", help: "A name.", defaultValue: "fallback"),
            OptionDefinition("queue", shortName: "q", kind: .repeatedValue, help: "A queue."),
            OptionDefinition("count", help: "A count."),
            .flag("verbose", shortName: "v", help: "Talks more."),
        ],
        arguments: [
            ArgumentDefinition("input", help: "The input."),
            ArgumentDefinition("output", help: "The output.", isRequired: false),
        ])

    private func parse(_ arguments: [String]) throws(ArgumentError) -> ParsedArguments {
        try ArgumentParser.parse(arguments, for: Self.command)
    }

    private func error(_ arguments: [String]) -> ArgumentError? {
        do {
            _ = try parse(arguments)
            return nil
        } catch {
            return error
        }
    }

    @Test("value after a space or an equals sign")
    func valueForms() throws {
        #expect(try parse(["--name", "a", "in"]).value("name") == "a")
        #expect(try parse(["--name=b", "in"]).value("name") == "b")
        #expect(try parse(["-n", "c", "in"]).value("name") == "c")
        #expect(try parse(["-n=d", "in"]).value("name") == "d")
        #expect(try parse(["--name=", "in"]).value("name") == "")
    }

    @Test("value keeps later equals signs")
    func valueWithEquals() throws {
        #expect(try parse(["--name=http://host/?a=b", "in"]).value("name") == "http://host/?a=b")
    }

    @Test("default when option is absent")
    func defaultValue() throws {
        let parsed = try parse(["in"])
        #expect(parsed.value("name") == "fallback")
        #expect(parsed.value("count") == nil)
        #expect(parsed.values("queue").isEmpty)
    }

    @Test("last value of a repeated single option wins")
    func lastValueWins() throws {
        #expect(try parse(["--name", "a", "--name", "b", "in"]).value("name") == "b")
    }

    @Test("repeated option keeps every value in order")
    func repeatedOption() throws {
        let parsed = try parse(["--queue", "a,1", "in", "-q", "b", "--queue=c,3"])
        #expect(parsed.values("queue") == ["a,1", "b", "c,3"])
        #expect(parsed.positionals == ["in"])
    }

    @Test("flags are set only when given")
    func flags() throws {
        #expect(try parse(["in", "--verbose"]).isSet("verbose"))
        #expect(try parse(["-v", "in"]).isSet("verbose"))
        #expect(try parse(["in"]).isSet("verbose") == false)
    }

    @Test("positional arguments between options")
    func positionals() throws {
        let parsed = try parse(["in", "--count", "3", "out"])
        #expect(parsed.argument("input") == "in")
        #expect(parsed.argument("output") == "out")
        #expect(parsed.value("count") == "3")
    }

    @Test("double dash ends options")
    func doubleDash() throws {
        let parsed = try parse(["--verbose", "--", "--name", "-h"])
        #expect(parsed.positionals == ["--name", "-h"])
        #expect(parsed.isHelpRequested == false)
        #expect(parsed.value("name") == "fallback")
    }

    @Test("lone dash is a positional argument")
    func loneDash() throws {
        #expect(try parse(["-"]).argument("input") == "-")
        #expect(try parse(["--name", "-", "in"]).value("name") == "-")
    }

    @Test("help wins over other arguments and errors")
    func helpWins() throws {
        #expect(try parse(["--bogus", "--help"]).isHelpRequested)
        #expect(try parse(["-h"]).isHelpRequested)
        #expect(try parse(["a", "b", "c", "--help"]).isHelpRequested)
    }

    @Test("unknown option names the option")
    func unknownOption() {
        let long = error(["in", "--bogus"])
        #expect(long?.code == .unknownOption)
        #expect(long?.message == "unknown option '--bogus'")
        let withValue = error(["--bogus=1", "in"])
        #expect(withValue?.message == "unknown option '--bogus'")
        let short = error(["-x", "in"])
        #expect(short?.message == "unknown option '-x'")
        let joined = error(["-nv", "in"])
        #expect(joined?.code == .unknownOption)
    }

    @Test("missing value at the end or before an option")
    func missingValue() {
        let atEnd = error(["in", "--name"])
        #expect(atEnd?.code == .missingValue)
        #expect(atEnd?.message == "missing value for '--name <name>'")
        #expect(error(["--name", "--verbose", "in"])?.code == .missingValue)
    }

    @Test("flag with a value is rejected")
    func flagWithValue() {
        let rejected = error(["--verbose=yes", "in"])
        #expect(rejected?.code == .unexpectedValue)
        #expect(rejected?.message.contains("--verbose") == true)
    }

    @Test("missing and unexpected positional arguments")
    func positionalCounts() {
        let missing = error([])
        #expect(missing?.code == .missingArgument)
        #expect(missing?.message == "missing expected argument '<input>'")
        let extra = error(["a", "b", "c"])
        #expect(extra?.code == .unexpectedArgument)
        #expect(extra?.message == "unexpected argument 'c'")
    }

    @Test("required option must be given")
    func requiredOption() {
        let command = CommandDefinition(
            name: "required", abstract: "", options: [OptionDefinition("id", help: "", isRequired: true)])
        #expect(throws: ArgumentError(.missingOption, "missing expected option '--id <id>'")) {
            try ArgumentParser.parse([], for: command)
        }
    }

    @Test("typed values name option and value")
    func typedValues() throws {
        #expect(try parse(["--count", "7", "in"]).integer("count", in: 1...10) == 7)
        #expect(try parse(["in"]).integer("count", in: 1...10) == nil)
        let parsed = try parse(["--count", "70", "in"])
        #expect(
            throws: ArgumentError(
                .invalidValue, "invalid value '70' for '--count <count>': expected an integer from 1 to 10")
        ) {
            try parsed.integer("count", in: 1...10)
        }
        #expect(throws: ArgumentError.self) { try parse(["--count", "nan", "in"]).number("count", in: 0...1) }
        #expect(try parse(["--count", "0.5", "in"]).number("count", in: 0...1) == 0.5)
    }
}
