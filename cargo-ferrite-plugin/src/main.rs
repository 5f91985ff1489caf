fn main() {
    let cli = cargo_ferrite_plugin::Cli::parse_args(std::env::args_os());
    std::process::exit(cli.run());
}
