//! Evidence files on disk as parser sources: single files, folders (a
//! Gatling report), and the entries of tar.gz and zip bundles.

use readiness_core::input::Source;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A file on disk, read from the start each time a parser opens it.
#[derive(Debug, Clone)]
pub struct FileSource {
    name: String,
    path: PathBuf,
}

impl FileSource {
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        FileSource {
            name: name.into(),
            path: path.into(),
        }
    }

    /// The sources named on a command line: files as they are, folders by
    /// the files inside them (recursively, in name order).
    pub fn expand(paths: &[PathBuf]) -> io::Result<Vec<FileSource>> {
        let mut sources = Vec::new();
        for path in paths {
            let meta = std::fs::metadata(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            if meta.is_dir() {
                collect_dir(path, path, &mut sources)?;
            } else {
                sources.push(FileSource::new(path.display().to_string(), path));
            }
        }
        Ok(sources)
    }
}

fn collect_dir(root: &Path, dir: &Path, out: &mut Vec<FileSource>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_dir(root, &path, out)?;
        } else {
            let relative = path
                .strip_prefix(root.parent().unwrap_or(root))
                .unwrap_or(&path);
            out.push(FileSource::new(relative.display().to_string(), path));
        }
    }
    Ok(())
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(File::open(&self.path)?))
    }
}
