//! Stage 2: the syntax tree — directives and blocks with their lines.
//!
//! The tree records where every directive and block sits, so the writer can
//! change one value and leave every other byte alone, and so diagnostics can
//! name lines. Block rules follow spec §1.1 rule 10: `virtual NAME {`,
//! `failover NAME {` and `server NAME {` are exactly three tokens, a block
//! ends at a line whose first token is `}`, and a missing `}` at the end of
//! the file is accepted (with a warning).

use crate::diag::{Diagnostic, ErrorKind};
use crate::lex::{self, LineKind, RawLine, Tokens};

/// The kind of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// `virtual NAME {`
    Virtual,
    /// `failover NAME {`
    Failover,
    /// `server NAME {` (inside a virtual or failover block)
    Server,
}

impl BlockKind {
    /// The keyword that opens the block.
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Virtual => "virtual",
            BlockKind::Failover => "failover",
            BlockKind::Server => "server",
        }
    }
}

/// A line with tokens: `KEY = VALUE…`, a block header or a `}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'a> {
    /// 1-based line number.
    pub line: usize,
    /// The tokens (at least one).
    pub tokens: Tokens<'a>,
}

impl<'a> Directive<'a> {
    /// The first token's text.
    pub fn key(&self) -> &'a str {
        self.tokens.first().map(|t| t.text).unwrap_or_default()
    }
}

/// A block with its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    /// What kind of block.
    pub kind: BlockKind,
    /// The block's name (empty when the header lacked one).
    pub name: &'a str,
    /// The header line.
    pub header: Directive<'a>,
    /// Directives and nested blocks, in file order.
    pub items: Vec<Item<'a>>,
    /// The closing `}` line, if the file has one.
    pub close: Option<usize>,
}

impl<'a> Block<'a> {
    /// The directives directly inside this block.
    pub fn directives(&self) -> impl Iterator<Item = &Directive<'a>> {
        self.items.iter().filter_map(|i| match i {
            Item::Directive(d) => Some(d),
            Item::Block(_) => None,
        })
    }

    /// The blocks directly inside this block.
    pub fn blocks(&self) -> impl Iterator<Item = &Block<'a>> {
        self.items.iter().filter_map(|i| match i {
            Item::Block(b) => Some(b),
            Item::Directive(_) => None,
        })
    }

    /// The last line that belongs to the block.
    pub fn last_line(&self) -> usize {
        self.close.unwrap_or_else(|| {
            self.items.last().map_or(self.header.line, |i| match i {
                Item::Directive(d) => d.line,
                Item::Block(b) => b.last_line(),
            })
        })
    }
}

/// A directive or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// `KEY = VALUE…`
    Directive(Directive<'a>),
    /// `virtual`, `failover` or `server` block.
    Block(Block<'a>),
}

/// A whole file: its lines and the items of the global scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxTree<'a> {
    /// Every physical line, in order (line N is `lines[N - 1]`).
    pub lines: Vec<RawLine<'a>>,
    /// The global directives and the top-level blocks.
    pub items: Vec<Item<'a>>,
    /// Problems found while building the tree.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> SyntaxTree<'a> {
    /// Builds the tree of `src`. Never fails: problems become diagnostics
    /// and the tree holds what could be understood.
    pub fn build(src: &'a str) -> Self {
        let lines = lex::split_lines(src);
        let mut diagnostics = Vec::new();
        let mut significant = Vec::new();
        for (index, raw) in lines.iter().enumerate() {
            let line = index + 1;
            match lex::tokenize(raw.text) {
                Ok(LineKind::Blank | LineKind::Comment) => {}
                Ok(LineKind::Tokens { tokens, dropped }) => {
                    if dropped > 0 {
                        diagnostics.push(Diagnostic::warning(
                            line,
                            format!(
                                "more than {} tokens; the original ignores the last {dropped}",
                                lex::MAX_TOKENS
                            ),
                        ));
                    }
                    significant.push(Directive { line, tokens });
                }
                Err(e) => diagnostics.push(
                    Diagnostic::error(ErrorKind::QuotationMismatch, line).at_column(e.column).with_hint(
                        "a quoted value ends with its quote and nothing after it; quotes cannot be escaped",
                    ),
                ),
            }
        }
        let mut builder = Builder { directives: significant.into_iter().peekable(), diagnostics };
        let (items, _) = builder.items(None);
        SyntaxTree { lines, items, diagnostics: builder.diagnostics }
    }

    /// The top-level blocks.
    pub fn blocks(&self) -> impl Iterator<Item = &Block<'a>> {
        self.items.iter().filter_map(|i| match i {
            Item::Block(b) => Some(b),
            Item::Directive(_) => None,
        })
    }
}

struct Builder<'a, I: Iterator<Item = Directive<'a>>> {
    directives: std::iter::Peekable<I>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a, I: Iterator<Item = Directive<'a>>> Builder<'a, I> {
    /// Reads items until the `}` of `scope` (or the end of the file).
    fn items(&mut self, scope: Option<BlockKind>) -> (Vec<Item<'a>>, Option<usize>) {
        let mut items = Vec::new();
        while let Some(d) = self.directives.next() {
            let opens = match (scope, d.key()) {
                (Some(_), "}") => {
                    if d.tokens.len() > 1 {
                        self.diagnostics.push(
                            Diagnostic::warning(d.line, "text after `}` is ignored")
                                .at_column(d.tokens[1].column()),
                        );
                    }
                    return (items, Some(d.line));
                }
                (None, "virtual") => Some(BlockKind::Virtual),
                (None, "failover") => Some(BlockKind::Failover),
                (Some(BlockKind::Virtual | BlockKind::Failover), "server") => Some(BlockKind::Server),
                _ => None,
            };
            match opens {
                Some(kind) => items.push(Item::Block(self.block(kind, d))),
                None => items.push(Item::Directive(d)),
            }
        }
        if let Some(kind) = scope {
            let last = items.last().map_or(0, |i: &Item<'_>| match i {
                Item::Directive(d) => d.line,
                Item::Block(b) => b.last_line(),
            });
            self.diagnostics.push(Diagnostic::warning(
                last,
                format!("`{}` block is not closed with `}}` before the end of the file", kind.keyword()),
            ));
        }
        (items, None)
    }

    fn block(&mut self, kind: BlockKind, header: Directive<'a>) -> Block<'a> {
        let keyword = kind.keyword();
        let n = header.tokens.len();
        let name = header.tokens.get(1).map(|t| t.text).unwrap_or_default();
        let well_formed = n == 3 && header.tokens[2].text == "{";
        if !well_formed {
            let (error, column) = if n > 3 {
                (ErrorKind::UnexpectedArguments, header.tokens[2].column())
            } else {
                (ErrorKind::MissingArguments, header.tokens.last().map_or(1, |t| t.end + 1))
            };
            let hint = format!("a block starts with exactly `{keyword} NAME {{` on one line");
            self.diagnostics.push(Diagnostic::error(error, header.line).at_column(column).with_hint(hint));
            // Recover: a `{` alone on the next line belongs to this header.
            if n < 3 && self.directives.peek().is_some_and(|d| d.tokens.len() == 1 && d.key() == "{") {
                self.directives.next();
            }
        }
        let (items, close) = self.items(Some(kind));
        Block { kind, name, header, items, close }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_nest_and_close() {
        let src = "primary = 1.2.3.4\nvirtual www {\n active = 1\n server a {\n  address = 10.0.0.1\n }\n}\n";
        let t = SyntaxTree::build(src);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(t.items.len(), 2);
        let v = t.blocks().next().expect("virtual");
        assert_eq!((v.kind, v.name, v.header.line, v.close), (BlockKind::Virtual, "www", 2, Some(7)));
        let s = v.blocks().next().expect("server");
        assert_eq!((s.kind, s.name, s.close), (BlockKind::Server, "a", Some(6)));
        assert_eq!(s.directives().next().map(|d| d.line), Some(5));
    }

    #[test]
    fn spec_1_1_missing_close_brace_at_eof_is_a_warning() {
        let t = SyntaxTree::build("virtual www {\n active = 1\n");
        assert_eq!(t.diagnostics.len(), 1);
        assert!(!t.diagnostics[0].is_error());
        assert_eq!(t.diagnostics[0].line, 2);
        assert_eq!(t.blocks().next().map(|b| b.close), Some(None));
    }

    #[test]
    fn spec_1_1_tokens_after_close_brace_are_ignored_with_warning() {
        let t = SyntaxTree::build("virtual www {\n} trailing\n");
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!((t.diagnostics[0].line, t.diagnostics[0].column), (2, Some(3)));
    }

    #[test]
    fn spec_1_1_brace_on_next_line_is_missing_arguments() {
        let t = SyntaxTree::build("virtual www\n{\n active = 1\n}\n");
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].kind, ErrorKind::MissingArguments);
        assert_eq!(t.diagnostics[0].line, 1);
        // Recovered: the block still holds its directive.
        let v = t.blocks().next().expect("virtual");
        assert_eq!(v.directives().count(), 1);
        assert_eq!(v.close, Some(4));
    }

    #[test]
    fn header_with_extra_arguments() {
        let t = SyntaxTree::build("virtual a b {\n}\n");
        assert_eq!(t.diagnostics[0].kind, ErrorKind::UnexpectedArguments);
        assert_eq!(t.diagnostics[0].column, Some(11));
    }

    #[test]
    fn server_outside_virtual_and_nested_virtual_are_directives() {
        let t = SyntaxTree::build("server a {\nvirtual v {\nvirtual w {\n}\n");
        // `server` at global level is a directive (rejected by the parser).
        assert!(matches!(&t.items[0], Item::Directive(d) if d.key() == "server"));
        let v = t.blocks().next().expect("virtual");
        assert!(matches!(&v.items[0], Item::Directive(d) if d.key() == "virtual"));
    }

    #[test]
    fn quotation_mismatch_lines_are_reported_and_skipped() {
        let t = SyntaxTree::build("virtual www {\n expect = \"HTTP\"  \n}\n");
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].kind, ErrorKind::QuotationMismatch);
        assert_eq!((t.diagnostics[0].line, t.diagnostics[0].column), (2, Some(11)));
    }
}
