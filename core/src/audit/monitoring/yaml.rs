//! YAML documents as trees that remember the line of every node, built from
//! yaml-rust2's event parser.
//!
//! yaml-rust2's own loader is not used: it builds its tree recursively (a
//! deeply nested document would exhaust the stack), it copies the target of
//! every alias (a few lines of anchors can expand to gigabytes), and its
//! tree forgets lines. The event parser is a state machine; this builder
//! keeps its own stack, bounds the depth, and counts every node it creates,
//! aliases included, against a budget.

use crate::error::ParseError;
use std::collections::HashMap;
use yaml_rust2::Event;
use yaml_rust2::parser::Parser;
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// How deeply collections may nest. Rule files nest six levels; anything
/// far deeper is not one.
pub const MAX_DEPTH: usize = 64;

/// How many nodes a document may have once aliases are expanded. The
/// largest public rule files have tens of thousands; the bound keeps an
/// alias chain (each level repeating the one before) from expanding into
/// gigabytes.
const MAX_NODES: usize = 1 << 20;

/// How many bytes of scalar text a document may have once aliases are
/// expanded: four times the largest file read.
const MAX_TEXT: usize = 16 << 20;

/// The size of a subtree: its nodes and the bytes of its scalars.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    text: usize,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.text = self.text.saturating_add(other.text);
    }

    fn too_big(self) -> bool {
        self.nodes > MAX_NODES || self.text > MAX_TEXT
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar; `plain` when written without quotes or block markers, which
    /// is when `~`, `null` and the empty string mean null.
    Scalar {
        text: String,
        plain: bool,
        line: u64,
    },
    Seq {
        items: Vec<Node>,
        line: u64,
    },
    Map {
        entries: Vec<(Node, Node)>,
        line: u64,
    },
}

impl Node {
    pub fn line(&self) -> u64 {
        match self {
            Node::Scalar { line, .. } | Node::Seq { line, .. } | Node::Map { line, .. } => *line,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { text, plain: true, .. }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The text of a scalar that is not null.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match self {
            Node::Seq { items, .. } => Some(items),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match self {
            Node::Map { entries, .. } => Some(entries),
            _ => None,
        }
    }

    /// The key node and value of a mapping entry. The last entry wins, as in
    /// the Go YAML library Prometheus uses for duplicate-free documents;
    /// entries merged with `<<: *anchor` count when the key is not written
    /// directly.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        let entries = self.entries()?;
        let direct = entries
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v));
        direct.or_else(|| {
            let merged = entries.iter().rev().find(
                |(k, _)| matches!(k, Node::Scalar { text, plain: true, .. } if text == "<<"),
            )?;
            match &merged.1 {
                map @ Node::Map { .. } => map.direct_entry(key),
                Node::Seq { items, .. } => items.iter().find_map(|m| m.direct_entry(key)),
                _ => None,
            }
        })
    }

    fn direct_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// What a node is, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            _ if self.is_null() => "nothing",
            Node::Scalar { .. } => "a scalar",
            Node::Seq { .. } => "a list",
            Node::Map { .. } => "a mapping",
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        line: u64,
        anchor: usize,
        size: Size,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        line: u64,
        anchor: usize,
        size: Size,
    },
}

fn line_of(mark: &Marker) -> u64 {
    mark.line() as u64
}

fn error_at(mark: &Marker, found: impl Into<String>) -> ParseError {
    ParseError::new("a YAML document", found)
        .at_line(mark.line() as u64, Some(mark.col() as u64 + 1))
}

/// A scan error at its place. yaml-rust2 reports a tab found while reading
/// a plain scalar at the start of that scalar (the end of the previous
/// line, typically); the tab itself is where the file must be fixed, so the
/// first tab from the marker on is named instead.
fn scan_error(text: &str, err: &yaml_rust2::ScanError) -> ParseError {
    let mark = err.marker();
    if err.info().contains("tab") {
        let start_line = mark.line().max(1);
        for (number, line) in text.lines().enumerate().skip(start_line - 1) {
            let from = if number + 1 == start_line {
                mark.col()
            } else {
                0
            };
            if let Some(column) = line.chars().skip(from).position(|c| c == '\t') {
                return ParseError::new("a YAML document", err.info().to_owned())
                    .at_line(number as u64 + 1, Some((from + column) as u64 + 1));
            }
        }
    }
    error_at(mark, err.info().to_owned())
}

/// Every document of a YAML stream, in order.
pub fn documents(text: &str) -> Result<Vec<Node>, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut documents: Vec<Node> = Vec::new();
    // Anchored nodes with their size, so that an alias is refused before
    // it is copied.
    let mut anchors: HashMap<usize, (Node, Size)> = HashMap::new();
    let mut total = Size::default();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| scan_error(text, &e))?;
        let (node, size) = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                continue;
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let size = Size {
                    nodes: 1,
                    text: text.len(),
                };
                let node = Node::Scalar {
                    text,
                    plain: style == TScalarStyle::Plain,
                    line: line_of(&mark),
                };
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), size));
                }
                (node, size)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((node, size)) => {
                    let mut after = total;
                    after.add(*size);
                    if after.too_big() {
                        return Err(error_at(
                            &mark,
                            "aliases that expand beyond the size a rule file may have",
                        ));
                    }
                    (node.clone(), *size)
                }
                // An alias to an anchor not yet complete (or unknown) reads
                // as null rather than failing: Prometheus never needs it.
                None => (
                    Node::Scalar {
                        text: String::new(),
                        plain: true,
                        line: line_of(&mark),
                    },
                    Size { nodes: 1, text: 0 },
                ),
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(error_at(
                        &mark,
                        format!("collections nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let line = line_of(&mark);
                let size = Size { nodes: 1, text: 0 };
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        line,
                        anchor,
                        size,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        line,
                        anchor,
                        size,
                    }
                });
                total.add(size);
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor, size) = match stack.pop() {
                    Some(Frame::Seq {
                        items,
                        line,
                        anchor,
                        size,
                    }) => (Node::Seq { items, line }, anchor, size),
                    Some(Frame::Map {
                        entries,
                        line,
                        anchor,
                        size,
                        ..
                    }) => (Node::Map { entries, line }, anchor, size),
                    None => return Err(error_at(&mark, "the end of a collection never opened")),
                };
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), size));
                }
                // The collection's own node was counted when it opened and
                // its children as they came; only its parent learns its
                // size now.
                if let Some(parent) = stack.last_mut() {
                    match parent {
                        Frame::Seq { size: s, .. } | Frame::Map { size: s, .. } => s.add(size),
                    }
                }
                attach(&mut stack, &mut documents, node);
                continue;
            }
        };
        total.add(size);
        if total.too_big() {
            return Err(error_at(
                &mark,
                "a document larger than a rule file may be once aliases are expanded",
            ));
        }
        if let Some(parent) = stack.last_mut() {
            match parent {
                Frame::Seq { size: s, .. } | Frame::Map { size: s, .. } => s.add(size),
            }
        }
        attach(&mut stack, &mut documents, node);
    }
    Ok(documents)
}

/// Puts a finished node into its parent: a list item, a mapping key or
/// value, or a document.
fn attach(stack: &mut [Frame], documents: &mut Vec<Node>, node: Node) {
    match stack.last_mut() {
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Map { entries, key, .. }) => match key.take() {
            Some(k) => entries.push((k, node)),
            None => *key = Some(node),
        },
        None => documents.push(node),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_and_merges_followed() {
        let docs = documents(
            "base: &b\n  severity: page\ngroups:\n  - name: g\n    labels:\n      <<: *b\n",
        )
        .unwrap();
        let root = &docs[0];
        let group = &root.get("groups").unwrap().items().unwrap()[0];
        assert_eq!(group.get("name").unwrap().line(), 4);
        let labels = group.get("labels").unwrap();
        assert_eq!(labels.get("severity").unwrap().as_str(), Some("page"));
    }

    #[test]
    fn errors_have_a_line_and_column() {
        let err = documents("groups:\n  - name: g\n\trules: []\n").unwrap_err();
        assert_eq!(err.location().line, Some(3), "{err}");
        assert_eq!(err.location().column, Some(1), "{err}");
        // An unterminated quote is reported where the quote opens.
        let err = documents("groups:\n  - name: 'g\n").unwrap_err();
        assert_eq!(err.location().line, Some(2), "{err}");
        assert_eq!(err.location().column, Some(11), "{err}");
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused() {
        let deep = "- ".repeat(10_000) + "x\n";
        assert!(documents(&deep).is_err());
        let flow = "[".repeat(10_000);
        assert!(documents(&flow).is_err());
        let mut bomb = String::from("a: &a [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]\n");
        let mut previous = 'a';
        for name in 'b'..='z' {
            bomb.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
            previous = name;
        }
        let err = documents(&bomb).unwrap_err();
        assert!(err.to_string().contains("aliases"), "{err}");
    }
}
