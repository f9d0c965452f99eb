use std::fmt;
use std::path::PathBuf;

/// One content mistake, located so an editor can jump to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct ContentError {
    pub file: PathBuf,
    /// 1-based line in the file (not in the front matter block).
    pub line: usize,
    /// 1-based column; 1 when only the line is known.
    pub column: usize,
    pub message: String,
}

impl ContentError {
    pub fn new(file: impl Into<PathBuf>, line: usize, column: usize, message: impl Into<String>) -> Self {
        ContentError { file: file.into(), line: line.max(1), column: column.max(1), message: message.into() }
    }
}

/// Every mistake found in one pass, in file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct ContentErrors(pub Vec<ContentError>);

impl ContentErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, e: ContentError) {
        self.0.push(e);
    }
    pub fn extend(&mut self, es: impl IntoIterator<Item = ContentError>) {
        self.0.extend(es);
    }
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self
    }
}

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        write!(f, "{} problem(s) found", self.0.len())
    }
}
