//! Evidence files on disk as parser sources: single files, folders (a
//! Gatling report), the entries of tar, tar.gz and zip bundles, and the one
//! artifact stored for an upload of several files.
//!
//! Everything here works on files, never on whole uploads in memory, so a
//! gigabyte upload costs disk, not RAM. Bundles are expanded under limits
//! on the number of files and the expanded size, checked while reading (a
//! zip's declared sizes can lie), so zip and gzip bombs stop early.

use flate2::read::MultiGzDecoder;
use readiness_core::input::Source;
use readiness_core::model::ArtifactEntry;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Limits on what an upload may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes all files of an upload may hold once decompressed.
    pub max_expanded: u64,
    /// The most files a bundle may hold.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_expanded: 8 << 30,
            max_files: 1000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The upload expands beyond a limit.
    #[error("{0}")]
    TooLarge(String),
    /// A bundle or compressed file cannot be read.
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> EvidenceError {
    let context = context.into();
    move |source| EvidenceError::Io { context, source }
}

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

    pub fn path(&self) -> &Path {
        &self.path
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
            let base = root.parent().unwrap_or(root);
            let relative = path.strip_prefix(base).unwrap_or(&path);
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

/// What kind of container a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Zip,
    Tar,
    TarGz,
    Plain,
}

fn is_gzip_file(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == [0x1f, 0x8b])
}

fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= 262 && &block[257..262] == b"ustar"
}

fn container_of(path: &Path) -> io::Result<Container> {
    let mut head = Vec::with_capacity(512);
    File::open(path)?.take(512).read_to_end(&mut head)?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Container::Zip);
    }
    if is_tar_header(&head) {
        return Ok(Container::Tar);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        // A gzip file is a bundle only when it holds a tar archive; a
        // gzip-compressed result file is read by the parsers directly.
        let mut inner = Vec::with_capacity(512);
        let decoder = MultiGzDecoder::new(File::open(path)?);
        let _ = decoder.take(512).read_to_end(&mut inner);
        if is_tar_header(&inner) {
            return Ok(Container::TarGz);
        }
    }
    Ok(Container::Plain)
}

/// Files that archivers add and no tool wrote.
fn is_archiver_noise(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    name.starts_with("__MACOSX/") || base.starts_with("._") || base == ".DS_Store"
}

/// Tracks the expansion of one upload against its limits.
struct Budget {
    limits: Limits,
    expanded: u64,
    files: usize,
}

impl Budget {
    fn take_file(&mut self, bundle: &str) -> Result<(), EvidenceError> {
        self.files += 1;
        if self.files > self.limits.max_files {
            return Err(EvidenceError::TooLarge(format!(
                "{bundle}: the bundle holds more than {} files",
                self.limits.max_files
            )));
        }
        Ok(())
    }

    /// Copies an entry to disk, hashing it, and stops as soon as the
    /// upload's expanded size passes the limit.
    fn copy(
        &mut self,
        bundle: &str,
        name: &str,
        reader: &mut dyn Read,
        to: &Path,
    ) -> Result<ArtifactEntry, EvidenceError> {
        let mut out =
            File::create(to).map_err(io_error(format!("cannot create {}", to.display())))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 128 * 1024];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(EvidenceError::Invalid(format!(
                        "{bundle}: cannot read `{name}` from the bundle: {e}"
                    )));
                }
            };
            size += n as u64;
            self.expanded += n as u64;
            if self.expanded > self.limits.max_expanded {
                return Err(EvidenceError::TooLarge(format!(
                    "{bundle}: the upload expands to more than {} bytes (READINESS_MAX_EXPANDED)",
                    self.limits.max_expanded
                )));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(io_error("cannot write a bundle entry"))?;
        }
        Ok(ArtifactEntry {
            name: name.to_owned(),
            sha256: format!("{:x}", hasher.finalize()),
            size,
        })
    }
}

/// Where the entries of one bundle go.
struct Unpacked<'a> {
    bundle: &'a FileSource,
    dir: &'a Path,
    sources: &'a mut Vec<FileSource>,
    entries: &'a mut Vec<ArtifactEntry>,
}

impl Unpacked<'_> {
    fn add(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        budget: &mut Budget,
    ) -> Result<(), EvidenceError> {
        if is_archiver_noise(name) {
            return Ok(());
        }
        budget.take_file(&self.bundle.name)?;
        std::fs::create_dir_all(self.dir).map_err(io_error("cannot create a work folder"))?;
        let path = self.dir.join(self.sources.len().to_string());
        let display = format!("{}/{name}", self.bundle.name);
        let entry = budget.copy(&self.bundle.name, &display, reader, &path)?;
        // A gzip file inside a bundle is decompressed within the budget too.
        let readable = if is_gzip_file(&path) {
            let decompressed = path.with_extension("decompressed");
            gunzip_within(&display, &path, &decompressed, budget)?;
            decompressed
        } else {
            path
        };
        self.sources.push(FileSource::new(display, readable));
        self.entries.push(entry);
        Ok(())
    }
}

/// Decompresses a gzip file within the upload's budget.
fn gunzip_within(
    name: &str,
    from: &Path,
    to: &Path,
    budget: &mut Budget,
) -> Result<(), EvidenceError> {
    let raw = File::open(from).map_err(io_error(format!("cannot read {name}")))?;
    let mut decoder = MultiGzDecoder::new(BufReader::new(raw));
    budget
        .copy(name, name, &mut decoder, to)
        .map(|_| ())
        .map_err(|err| match err {
            EvidenceError::Invalid(_) => EvidenceError::Invalid(format!(
                "{name}: not valid gzip: the file is truncated or damaged"
            )),
            other => other,
        })
}

/// The files parsers should read for an upload: plain files as they are,
/// bundles by the files inside them (one level deep), each entry named
/// `<bundle>/<path inside>`. Also returns the entries of the bundles, with
/// their hashes, for the artifact's record.
pub fn unpack(
    files: &[FileSource],
    work: &Path,
    limits: Limits,
) -> Result<(Vec<FileSource>, Vec<ArtifactEntry>), EvidenceError> {
    let mut budget = Budget {
        limits,
        expanded: 0,
        files: 0,
    };
    let mut sources = Vec::new();
    let mut entries = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let container =
            container_of(&file.path).map_err(io_error(format!("cannot read {}", file.name)))?;
        let dir = work.join(format!("bundle-{index}"));
        let mut out = Unpacked {
            bundle: file,
            dir: &dir,
            sources: &mut sources,
            entries: &mut entries,
        };
        match container {
            Container::Plain if is_gzip_file(&file.path) => {
                // Parsers read gzip transparently, but then nothing would
                // bound what it expands to: decompress it here, within the
                // upload's budget, and let the parsers read the result.
                budget.take_file(&file.name)?;
                std::fs::create_dir_all(&dir).map_err(io_error("cannot create a work folder"))?;
                let path = dir.join("decompressed");
                gunzip_within(&file.name, &file.path, &path, &mut budget)?;
                out.sources.push(FileSource::new(file.name.clone(), path));
            }
            Container::Plain => {
                budget.take_file(&file.name)?;
                out.sources.push(file.clone());
                budget.expanded += std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
            }
            Container::Zip => {
                let reader = File::open(&file.path)
                    .map_err(io_error(format!("cannot read {}", file.name)))?;
                let mut archive = zip::ZipArchive::new(BufReader::new(reader)).map_err(|e| {
                    EvidenceError::Invalid(format!(
                        "{}: not a readable zip archive: {e}",
                        file.name
                    ))
                })?;
                // The central directory is read whole; bound it generously
                // here, and count the files themselves as they come.
                if archive.len() > limits.max_files * 4 {
                    return Err(EvidenceError::TooLarge(format!(
                        "{}: the bundle holds {} files, more than {}",
                        file.name,
                        archive.len(),
                        limits.max_files
                    )));
                }
                for i in 0..archive.len() {
                    let mut entry = archive.by_index(i).map_err(|e| {
                        EvidenceError::Invalid(format!(
                            "{}: entry {i} cannot be read: {e}",
                            file.name
                        ))
                    })?;
                    if !entry.is_file() {
                        continue;
                    }
                    let name = entry
                        .name()
                        .map(|n| n.into_owned())
                        .unwrap_or_else(|_| format!("entry-{i}"));
                    out.add(&name, &mut entry, &mut budget)?;
                }
            }
            Container::Tar | Container::TarGz => {
                let raw = File::open(&file.path)
                    .map_err(io_error(format!("cannot read {}", file.name)))?;
                let reader: Box<dyn Read> = if container == Container::TarGz {
                    Box::new(MultiGzDecoder::new(BufReader::new(raw)))
                } else {
                    Box::new(BufReader::new(raw))
                };
                let mut archive = tar::Archive::new(reader);
                let invalid = |e: io::Error| {
                    EvidenceError::Invalid(format!(
                        "{}: not a readable tar archive: {e}",
                        file.name
                    ))
                };
                for entry in archive.entries().map_err(invalid)? {
                    let mut entry = entry.map_err(invalid)?;
                    if !entry.header().entry_type().is_file() {
                        continue;
                    }
                    let name = entry
                        .path()
                        .map(|p| p.to_string_lossy().trim_start_matches("./").to_owned())
                        .map_err(invalid)?;
                    out.add(&name, &mut entry, &mut budget)?;
                }
            }
        }
    }
    if sources.is_empty() {
        return Err(EvidenceError::Invalid(
            "the upload holds no file to read (an empty bundle?)".to_owned(),
        ));
    }
    Ok((sources, entries))
}

/// The artifact stored for an upload of several files: a tar archive of
/// them, in the order given, with fixed metadata so that the same files
/// always give the same bytes (and so the same SHA-256). The files' bytes
/// are kept unchanged inside it.
pub fn pack(files: &[FileSource], to: &Path) -> Result<Vec<ArtifactEntry>, EvidenceError> {
    let out = File::create(to).map_err(io_error("cannot create the bundle"))?;
    let mut builder = tar::Builder::new(io::BufWriter::new(out));
    let mut entries = Vec::new();
    for file in files {
        let size = std::fs::metadata(&file.path)
            .map_err(io_error(format!("cannot read {}", file.name)))?
            .len();
        let mut header = tar::Header::new_ustar();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let name = safe_entry_name(&file.name);
        let mut hasher = HashingReader {
            inner: File::open(&file.path)
                .map_err(io_error(format!("cannot read {}", file.name)))?,
            hasher: Sha256::new(),
        };
        builder
            .append_data(&mut header, &name, &mut hasher)
            .map_err(io_error(format!("cannot pack {}", file.name)))?;
        entries.push(ArtifactEntry {
            name,
            sha256: format!("{:x}", hasher.hasher.finalize()),
            size,
        });
    }
    builder
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(io_error("cannot write the bundle"))?;
    Ok(entries)
}

/// A name usable inside a tar archive: relative, without `..`.
fn safe_entry_name(name: &str) -> String {
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect();
    if parts.is_empty() {
        "file".to_owned()
    } else {
        parts.join("/")
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Why an upload could not become a run.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Ingest(#[from] readiness_core::formats::IngestError),
}

/// Reads the run in some files (bundles unpacked under `work`), with the
/// entries of the bundles that were unpacked.
pub fn read_run(
    files: &[FileSource],
    work: &Path,
    limits: Limits,
    format: Option<readiness_core::formats::Format>,
) -> Result<(readiness_core::Run, Vec<ArtifactEntry>), ReadError> {
    let (sources, entries) = unpack(files, work, limits)?;
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    let run = readiness_core::formats::ingest(&refs, format)?;
    Ok((run, entries))
}

/// Decompresses a gzip file (a `Content-Encoding: gzip` request body) into
/// another, within the expansion limit.
pub fn gunzip(from: &Path, to: &Path, name: &str, limits: Limits) -> Result<(), EvidenceError> {
    let raw = File::open(from).map_err(io_error("cannot read the request body"))?;
    let mut decoder = MultiGzDecoder::new(BufReader::new(raw));
    let mut budget = Budget {
        limits,
        expanded: 0,
        files: 0,
    };
    budget
        .copy(name, name, &mut decoder, to)
        .map_err(|err| match err {
            EvidenceError::Invalid(_) => EvidenceError::Invalid(format!(
                "{name}: the body is not valid gzip although Content-Encoding says so"
            )),
            other => other,
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_cannot_escape_the_archive() {
        assert_eq!(safe_entry_name("../../etc/passwd"), "etc/passwd");
        assert_eq!(safe_entry_name("/abs/./x.csv"), "abs/x.csv");
        assert_eq!(safe_entry_name(".."), "file");
    }

    #[test]
    fn archiver_files_are_left_out() {
        assert!(is_archiver_noise("__MACOSX/a/._stats.json"));
        assert!(is_archiver_noise("report/.DS_Store"));
        assert!(!is_archiver_noise("report/js/stats.json"));
    }
}
