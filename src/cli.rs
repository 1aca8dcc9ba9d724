//! The command line: subcommands and their flags, each documented where it is defined.
