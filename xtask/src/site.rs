//! The browser bundle: the app compiled to WASM with the `hydrate` feature,
//! bound with wasm-bindgen, shrunk with wasm-opt, and the stylesheet and
//! public files beside it, all under `target/site`.

use crate::tools::{self, step};
use crate::{Result, root, target_dir};
use std::path::Path;
use std::process::Command;

/// The name the server expects (`readiness_app::OUTPUT_NAME`).
const OUTPUT_NAME: &str = "readiness";

pub fn build(dev: bool) -> Result {
    tools::ensure_wasm_target()?;
    let profile = if dev { "dev" } else { "wasm-release" };
    step(&format!("build the browser bundle ({profile})"));
    // Panic locations name their source files; shortening the paths of
    // dependencies and of this workspace takes kilobytes off the bundle.
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_default();
    let remap = format!(
        "target.wasm32-unknown-unknown.rustflags=[\"--remap-path-prefix={}=\", \"--remap-path-prefix={}=\"]",
        cargo_home.join("registry").join("src").display(),
        root().display()
    );
    let mut args = vec![
        "build",
        "--package",
        "readiness-app",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--no-default-features",
        "--features",
        "hydrate",
        "--profile",
        profile,
    ];
    if !dev {
        args.extend(["--config", remap.as_str()]);
    }
    tools::cargo(&args)?;
    let target = target_dir();
    let profile_dir = if dev { "debug" } else { profile };
    let wasm = target
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join("readiness_app.wasm");
    let site = target.join("site");
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).map_err(|e| format!("cannot create {}: {e}", pkg.display()))?;

    step("wasm-bindgen");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e}"))?
        .typescript(false)
        .out_name(OUTPUT_NAME)
        .generate(&pkg)
        .map_err(|e| format!("wasm-bindgen on {}: {e:#}", wasm.display()))?;

    let bundle = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    if !dev {
        match tools::wasm_opt(&target) {
            Some(wasm_opt) => {
                step("wasm-opt -Oz --converge");
                let mut command = Command::new(wasm_opt);
                command
                    .args([
                        "-Oz",
                        "--converge",
                        "--enable-bulk-memory",
                        "--enable-nontrapping-float-to-int",
                    ])
                    .arg(&bundle)
                    .arg("-o")
                    .arg(&bundle);
                tools::run(command)?;
            }
            None => eprintln!(
                "warning: wasm-opt is unavailable (it needs npm); the bundle works but is larger"
            ),
        }
    }

    let css = root().join("style").join("main.css");
    copy(&css, &pkg.join(format!("{OUTPUT_NAME}.css")))?;
    if !dev {
        // Compressed once here, at the highest level, so the server sends
        // the bundle gzipped without compressing it for every request.
        step("gzip -9 the bundle");
        for file in [
            format!("{OUTPUT_NAME}_bg.wasm"),
            format!("{OUTPUT_NAME}.js"),
            format!("{OUTPUT_NAME}.css"),
        ] {
            let mut gzip = Command::new("gzip");
            gzip.args(["-9", "--no-name", "--keep", "--force"])
                .arg(pkg.join(&file));
            if tools::run(gzip).is_err() {
                eprintln!("warning: gzip failed on {file}; the server will send it uncompressed");
            }
        }
    }
    copy_dir(&root().join("public"), &site)?;
    eprintln!("site ready in {}", site.display());
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
            copy_dir(&entry.path(), &target)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}
