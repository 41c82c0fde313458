import LogsCore

// NOTE: only `version`, `config` and `help` exist so far; the process subcommands are composed here
// as the real implementations land.
CommandLineTool.main(CommandLine.arguments)
