//! `simulator serve`: static files for `guestURL: http://…`, on `http-server`'s `static_dir`
//! (GET/HEAD, `application/wasm`, 403 for any path or symlink that leaves the directory).

use std::process::ExitCode;

use http_server::Config;

use super::{CliError, ServeArgs, http, io_text};

pub fn serve(args: &ServeArgs) -> Result<ExitCode, CliError> {
    let root = std::fs::canonicalize(&args.dir)
        .map_err(|e| CliError(format!("{}: {}", args.dir.display(), io_text(&e))))?;
    if !root.is_dir() {
        return Err(CliError(format!("{}: not a directory", args.dir.display())));
    }
    let router = http_server::static_dir(&root)
        .map_err(|e| CliError(format!("{}: {e}", args.dir.display())))?;
    let server = http::bind(
        Config {
            addr: args.addr.clone(),
            ..Config::default()
        },
        "serve",
    )?;
    println!(
        "serving {} on {}://{}/ (Ctrl-C to stop)",
        args.dir.display(),
        http::scheme(&server),
        server.local_addr()
    );
    http::run(server, router)
}
