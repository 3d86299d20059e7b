//! Server configuration, parsed once at start from flags and environment.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the database lives; every command that touches it takes this.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// The SQLite database file (created, with its folder, when missing).
    #[arg(long, env = "READINESS_DB", default_value = "./data/readiness.db")]
    pub db: PathBuf,
}

impl DbArgs {
    /// Where the certificate signing key is kept: `signing.key` beside the
    /// database, so a backup of the folder keeps both.
    pub fn signing_key_path(&self) -> PathBuf {
        match self.db.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("signing.key"),
            _ => PathBuf::from("signing.key"),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub db: DbArgs,

    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "READINESS_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// The folder with the browser bundle (`pkg/`), as built by
    /// `cargo xtask build`. Defaults to `../site` beside the binary, which
    /// is `target/site` for a binary in `target/release`.
    #[arg(long, env = "READINESS_SITE")]
    pub site: Option<PathBuf>,

    /// The address people reach this server at, used in links the API
    /// returns (for example `https://readiness.example.com`). Defaults to
    /// `http://` and the request's Host header.
    #[arg(long, env = "READINESS_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The largest upload accepted, in bytes.
    #[arg(long, env = "READINESS_MAX_UPLOAD", default_value_t = 2 << 30)]
    pub max_upload: u64,

    /// The most bytes an upload may expand to once gzip and bundles are
    /// unpacked; beyond it the upload is refused (zip and gzip bombs).
    #[arg(long, env = "READINESS_MAX_EXPANDED", default_value_t = 8 << 30)]
    pub max_expanded: u64,

    /// Uploads each token (or client, for the browser) may send at once
    /// before it is slowed down; past it they answer 429 with Retry-After.
    #[arg(long, env = "READINESS_UPLOAD_BURST", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    pub upload_burst: u32,

    /// Uploads a second each token (or client) may send once its burst is
    /// spent.
    #[arg(long, env = "READINESS_UPLOAD_RATE", default_value_t = 4.0)]
    pub upload_rate: f64,
}

impl ServeConfig {
    /// The site folder: the flag, else `../site` beside the executable when
    /// it exists, else `target/site` under the working directory.
    pub fn site_root(&self) -> PathBuf {
        if let Some(site) = &self.site {
            return site.clone();
        }
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| {
                exe.parent()
                    .and_then(|dir| dir.parent())
                    .map(|d| d.join("site"))
            })
            .filter(|site| site.join("pkg").is_dir());
        beside_binary.unwrap_or_else(|| PathBuf::from("target/site"))
    }
}
