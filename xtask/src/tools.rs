//! Running commands, and installing what a fresh machine lacks.

use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs a command to completion; a failure names the command.
pub fn run(mut command: Command) -> Result {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Replaces this process with the command where the platform allows it, so
/// signals reach the server directly.
pub fn exec(mut command: Command) -> Result {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = command.exec();
        Err(format!("cannot start {command:?}: {err}"))
    }
    #[cfg(not(unix))]
    {
        run(command)
    }
}

pub fn cargo(args: &[&str]) -> Result {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(crate::root());
    run(command)
}

pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The output of a command, when it runs and succeeds.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn ensure_wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("install the wasm32-unknown-unknown target");
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", "wasm32-unknown-unknown"]);
    run(rustup)
}

/// Installs Debian packages, as root or through sudo.
fn apt_install(packages: &[&str]) -> Result {
    if on_path("apt-get").is_none() {
        return Err(format!(
            "{} missing and this is not a Debian-like system; install it and retry",
            packages.join(", ")
        ));
    }
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    let install: Vec<&str> = ["install", "-y", "--no-install-recommends"]
        .into_iter()
        .chain(packages.iter().copied())
        .collect();
    step(&format!("install {}", packages.join(" ")));
    if run(apt(&install)).is_ok() {
        return Ok(());
    }
    // A fresh machine may have no package lists yet.
    run(apt(&["update"]))?;
    run(apt(&install))
}

/// The Chromium the browser tests drive: Debian's, never a download.
pub fn ensure_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").map(PathBuf::from)
        && path.is_file()
    {
        return Ok(path);
    }
    if let Some(path) = on_path("chromium") {
        return Ok(path);
    }
    apt_install(&["chromium"])?;
    on_path("chromium").ok_or_else(|| "chromium was installed but is not on PATH".to_owned())
}

/// pdftotext and pdftoppm, which the certificate tests read PDFs with.
pub fn ensure_poppler() -> Result {
    if on_path("pdftotext").is_some() && on_path("pdftoppm").is_some() {
        return Ok(());
    }
    apt_install(&["poppler-utils"])
}

pub fn ensure_node() -> Result {
    if on_path("node").is_some() && on_path("npm").is_some() {
        return Ok(());
    }
    apt_install(&["nodejs", "npm"])
}

/// The wasm-opt that keeps hydration working: binaryen 132 from npm,
/// installed under the target folder. Debian's binaryen 108 produces a
/// bundle that fails in the browser, so it is never used.
pub fn wasm_opt(target: &Path) -> Option<PathBuf> {
    let tools = target.join("tools");
    let binary = tools.join("node_modules").join(".bin").join("wasm-opt");
    if binary.is_file() {
        return Some(binary);
    }
    if ensure_node().is_err() {
        return None;
    }
    step("install wasm-opt (npm binaryen@132.0.0)");
    std::fs::create_dir_all(&tools).ok()?;
    let mut npm = Command::new("npm");
    npm.args([
        "install",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--prefix",
    ])
    .arg(&tools)
    .arg("binaryen@132.0.0");
    run(npm).ok()?;
    binary.is_file().then_some(binary)
}
