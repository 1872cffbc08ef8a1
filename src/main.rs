fn main() {
    std::process::exit(trailhound::cli::main());
}
