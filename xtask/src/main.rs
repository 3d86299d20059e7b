//! Build and test automation, in Rust so that a fresh machine needs nothing
//! but rustup (the approach of rust-analyzer's and bencher's xtask).
//!
//! - `cargo xtask build`: the browser bundle in `target/site` and the
//!   release binary `target/release/readiness`.
//! - `cargo xtask run [ARGS]`: build, then `readiness serve [ARGS]`.
//! - `cargo xtask test`: formatting, clippy, every cargo test and the
//!   browser tests; installs what the machine lacks (Chromium, Node
//!   packages). `.ci/run` calls it.
//! - `cargo xtask site [--dev]`: the browser bundle alone.
//!
//! This does by hand what cargo-leptos does, because cargo-leptos takes half
//! an hour to install here and downloads tools at build time.

mod site;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("build") => build(),
        Some("run") => build().and_then(|()| run(&args[1..])),
        Some("site") => site::build(args.iter().any(|a| a == "--dev")),
        Some("test") => test(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 build       build the browser bundle and the release binary\n  \
                 run [ARGS]  build, then run `readiness serve [ARGS]`\n  \
                 test        run every check and test, as CI does\n  \
                 site [--dev]  build only the browser bundle"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the folder above xtask/).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Cargo's target folder, honouring CARGO_TARGET_DIR.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        }
        None => root().join("target"),
    }
}

fn build() -> Result {
    site::build(false)?;
    tools::step("build the release binary");
    tools::cargo(&["build", "--release", "--package", "readiness-server"])
}

fn run(args: &[String]) -> Result {
    let binary = target_dir().join("release").join("readiness");
    let mut command = std::process::Command::new(&binary);
    command.arg("serve").args(args);
    command.env("READINESS_SITE", target_dir().join("site"));
    tools::step(&format!("{} serve {}", binary.display(), args.join(" ")));
    tools::exec(command)
}

fn test() -> Result {
    tools::step("check formatting");
    tools::cargo(&["fmt", "--all", "--", "--check"])?;
    tools::step("clippy");
    tools::cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    site::build(false)?;
    tools::ensure_poppler()?;
    tools::step("cargo tests");
    tools::cargo(&["test", "--workspace"])?;
    tools::cargo(&["build", "--package", "readiness-server"])?;
    end_to_end()
}

/// The Playwright tests in Chromium against the debug server binary and the
/// release (wasm-opt) browser bundle, which is the build that can break.
fn end_to_end() -> Result {
    tools::step("browser tests");
    let chromium = tools::ensure_chromium()?;
    let end2end = root().join("end2end");
    tools::ensure_node()?;
    if !end2end.join("node_modules").join("@playwright").is_dir() {
        let mut npm = std::process::Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&end2end);
        tools::run(npm)?;
    }
    let mut playwright = std::process::Command::new("npx");
    playwright
        .args(["playwright", "test"])
        .current_dir(&end2end)
        .env(
            "READINESS_BIN",
            target_dir().join("debug").join("readiness"),
        )
        .env("READINESS_SITE", target_dir().join("site"))
        .env("CHROMIUM", chromium);
    tools::run(playwright)
}
