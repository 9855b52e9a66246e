//! The writer: an lvs.cf held as its exact lines, re-emitted byte for byte,
//! with edits that touch only the lines they must.
//!
//! ```
//! use lvs_config::{Document, Scope};
//! let mut doc = Document::new("virtual www {\r\n\tserver a {\r\n\t\tweight = 1  \r\n\t}\r\n}\r\n");
//! doc.set(&Scope::server("www", "a"), "weight", "5").unwrap();
//! assert_eq!(doc.text(), "virtual www {\r\n\tserver a {\r\n\t\tweight = 5  \r\n\t}\r\n}\r\n");
//! ```

use crate::lex::LineEnding;
use crate::syntax::{Block, BlockKind, Item, SyntaxTree};

/// Where an edit applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The global section.
    Global,
    /// A `virtual NAME { }` block.
    Virtual(String),
    /// A `failover NAME { }` block.
    Failover(String),
    /// A `server NAME { }` block of a virtual service.
    Server {
        /// The virtual service's name.
        virtual_name: String,
        /// The server's name.
        server: String,
    },
}

impl Scope {
    /// A `server` block of virtual service `virtual_name`.
    pub fn server(virtual_name: &str, server: &str) -> Self {
        Scope::Server { virtual_name: virtual_name.to_owned(), server: server.to_owned() }
    }

    /// A `virtual` block.
    pub fn virtual_service(name: &str) -> Self {
        Scope::Virtual(name.to_owned())
    }
}

/// Why an edit could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The block named by the scope is not in the file.
    #[error("no such block: {0}")]
    NoSuchBlock(String),
    /// A block of that name already exists.
    #[error("block already exists: {0}")]
    BlockExists(String),
    /// The scope cannot hold that kind of block.
    #[error("a {0} block cannot go there")]
    WrongParent(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    ending: LineEnding,
}

/// An lvs.cf file as lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    lines: Vec<Line>,
}

/// The result of finding a block: its header/close lines and the lines of
/// its own directives.
struct Located {
    header: usize,
    last: usize,
    close: Option<usize>,
    /// (key, line, value start, value end) of each direct directive.
    directives: Vec<(String, usize, usize, usize)>,
    /// Header line of the first nested block, if any.
    first_block: Option<usize>,
    indent: Option<String>,
}

fn locate_in(items: &[Item<'_>]) -> Located {
    let mut directives = Vec::new();
    let mut first_block = None;
    for item in items {
        match item {
            Item::Directive(d) => {
                let start = d.tokens.get(2).map_or(d.tokens.last().map_or(0, |t| t.end), |t| t.start);
                let end = d.tokens.last().map_or(0, |t| t.end);
                directives.push((d.key().to_owned(), d.line, start, end));
            }
            Item::Block(b) => {
                first_block.get_or_insert(b.header.line);
            }
        }
    }
    Located { header: 0, last: 0, close: None, directives, first_block, indent: None }
}

fn locate_block(b: &Block<'_>) -> Located {
    let mut l = locate_in(&b.items);
    l.header = b.header.line;
    l.last = b.last_line();
    l.close = b.close;
    l
}

impl Document {
    /// Holds `src` as lines; never fails.
    pub fn new(src: &str) -> Self {
        let lines = crate::lex::split_lines(src)
            .into_iter()
            .map(|l| Line { text: l.text.to_owned(), ending: l.ending })
            .collect();
        Document { lines }
    }

    /// The file's text, byte for byte as read plus the edits made.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.text.len() + 2).sum());
        for l in &self.lines {
            out.push_str(&l.text);
            out.push_str(l.ending.as_str());
        }
        out
    }

    /// The line ending most lines use (LF for a file without any).
    fn usual_ending(&self) -> LineEnding {
        let count = |e| self.lines.iter().filter(|l| l.ending == e).count();
        [LineEnding::CrLf, LineEnding::Cr]
            .into_iter()
            .find(|e| count(*e) > count(LineEnding::Lf))
            .unwrap_or(LineEnding::Lf)
    }

    fn locate(&self, scope: &Scope) -> Result<Located, EditError> {
        let src = self.text();
        let tree = SyntaxTree::build(&src);
        let find = |items: &[Item<'_>], kind: BlockKind, name: &str| -> Option<Located> {
            items.iter().rev().find_map(|i| match i {
                Item::Block(b) if b.kind == kind && b.name == name => {
                    let mut l = locate_block(b);
                    l.indent = Some(self.indent_for(b));
                    Some(l)
                }
                _ => None,
            })
        };
        let missing = || EditError::NoSuchBlock(format!("{scope:?}"));
        match scope {
            Scope::Global => {
                let mut l = locate_in(&tree.items);
                l.indent = Some(String::new());
                l.last = self.lines.len();
                Ok(l)
            }
            Scope::Virtual(name) => find(&tree.items, BlockKind::Virtual, name).ok_or_else(missing),
            Scope::Failover(name) => find(&tree.items, BlockKind::Failover, name).ok_or_else(missing),
            Scope::Server { virtual_name, server } => {
                let parent = tree
                    .items
                    .iter()
                    .rev()
                    .find_map(|i| match i {
                        Item::Block(b) if b.kind != BlockKind::Server && b.name == virtual_name => Some(b),
                        _ => None,
                    })
                    .ok_or_else(missing)?;
                find(&parent.items, BlockKind::Server, server).ok_or_else(missing)
            }
        }
    }

    /// The indentation for directives inside `b`: that of an existing
    /// directive, else the header's plus one tab.
    fn indent_for(&self, b: &Block<'_>) -> String {
        let leading = |line: usize| {
            let t = &self.lines[line - 1].text;
            t[..t.len() - t.trim_start_matches([' ', '\t']).len()].to_owned()
        };
        b.directives().next().map_or_else(|| format!("{}\t", leading(b.header.line)), |d| leading(d.line))
    }

    /// Inserts `text` as a new line after line `after` (1-based; 0 = top).
    fn insert_line(&mut self, after: usize, text: String) {
        let ending = self.usual_ending();
        if after > 0 && self.lines[after - 1].ending == LineEnding::None {
            self.lines[after - 1].ending = ending;
            self.lines.insert(after, Line { text, ending: LineEnding::None });
        } else {
            self.lines.insert(after, Line { text, ending });
        }
    }

    /// Sets `key = value` in `scope`. An existing setting (the last one,
    /// which is the one in force) has its value replaced in place, keeping
    /// the line's spacing; otherwise a line is added after the scope's last
    /// setting and before its first nested block. `value` is the text after
    /// `=`, e.g. `"GET / HTTP/1.0\r\n"` with its quotes, or `192.0.2.1 eth0:1`.
    ///
    /// # Errors
    /// [`EditError::NoSuchBlock`] when the scope's block is not in the file.
    pub fn set(&mut self, scope: &Scope, key: &str, value: &str) -> Result<(), EditError> {
        let l = self.locate(scope)?;
        if let Some((_, line, start, end)) = l.directives.iter().rev().find(|(k, ..)| k == key) {
            let text = &mut self.lines[line - 1].text;
            text.replace_range(*start..*end, value);
            return Ok(());
        }
        let boundary = l.first_block.unwrap_or(usize::MAX);
        let after = match (l.directives.iter().rfind(|d| d.1 < boundary), scope) {
            (Some(d), _) => d.1,
            (None, Scope::Global) => l.first_block.map_or(self.lines.len(), |b| b - 1),
            (None, _) => l.header,
        };
        let indent = l.indent.unwrap_or_default();
        self.insert_line(after, format!("{indent}{key} = {value}"));
        Ok(())
    }

    /// Removes every `key` setting of `scope`; returns whether one existed.
    ///
    /// # Errors
    /// [`EditError::NoSuchBlock`] when the scope's block is not in the file.
    pub fn remove(&mut self, scope: &Scope, key: &str) -> Result<bool, EditError> {
        let l = self.locate(scope)?;
        let lines: Vec<usize> = l.directives.iter().filter(|(k, ..)| k == key).map(|d| d.1).collect();
        for line in lines.iter().rev() {
            self.lines.remove(line - 1);
        }
        Ok(!lines.is_empty())
    }

    /// Removes a whole block, from its header to its `}`, and one blank line
    /// before it when there is one (so blocks stay separated as they were).
    ///
    /// # Errors
    /// [`EditError::NoSuchBlock`] for [`Scope::Global`] or a missing block.
    pub fn remove_block(&mut self, scope: &Scope) -> Result<(), EditError> {
        if *scope == Scope::Global {
            return Err(EditError::NoSuchBlock("global".into()));
        }
        let l = self.locate(scope)?;
        let mut first = l.header;
        if first > 1 && self.lines[first - 2].text.trim().is_empty() {
            first -= 1;
        }
        let last = l.close.unwrap_or(l.last);
        let keep_ending = self.lines[last - 1].ending;
        self.lines.drain(first - 1..last);
        if keep_ending == LineEnding::None && first > 1 {
            self.lines[first - 2].ending = LineEnding::None;
        }
        Ok(())
    }

    /// Adds a block with `settings` (key, value text) at the end of
    /// `parent`: a `virtual` or `failover` block at the end of the file, a
    /// `server` block before the `}` of its virtual service.
    ///
    /// # Errors
    /// [`EditError::WrongParent`], [`EditError::BlockExists`] or
    /// [`EditError::NoSuchBlock`].
    pub fn add_block(
        &mut self,
        parent: &Scope,
        kind: BlockKind,
        name: &str,
        settings: &[(&str, &str)],
    ) -> Result<(), EditError> {
        let target = match (parent, kind) {
            (Scope::Global, BlockKind::Virtual) => Scope::Virtual(name.to_owned()),
            (Scope::Global, BlockKind::Failover) => Scope::Failover(name.to_owned()),
            (Scope::Virtual(v) | Scope::Failover(v), BlockKind::Server) => Scope::server(v, name),
            _ => return Err(EditError::WrongParent(kind.keyword())),
        };
        if self.locate(&target).is_ok() {
            return Err(EditError::BlockExists(name.to_owned()));
        }
        let p = self.locate(parent)?;
        let (after, outer) = match parent {
            Scope::Global => (self.lines.len(), String::new()),
            _ => {
                let indent = p.indent.clone().unwrap_or_default();
                (p.close.map_or(p.last, |c| c - 1), indent)
            }
        };
        let inner = format!("{outer}\t");
        let mut new_lines =
            vec![String::new(), format!("{outer}{} {} {{", kind.keyword(), crate::write::token(name))];
        new_lines.extend(settings.iter().map(|(k, v)| format!("{inner}{k} = {v}")));
        new_lines.push(format!("{outer}}}"));
        for (i, text) in new_lines.into_iter().enumerate() {
            self.insert_line(after + i, text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
