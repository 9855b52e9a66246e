//! Reading protocol lines with a length bound, so a peer can never make the reader buffer more
//! than [`protocol::MAX_LINE`](crate::protocol::MAX_LINE) bytes.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// One read from [`read_line`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line without its `\n` (the last line may lack the `\n`).
    Complete(Vec<u8>),
    /// A line longer than the bound; it was consumed up to and including its `\n` and dropped.
    TooLong,
    /// End of input.
    Eof,
}

/// Reads the next line of at most `max` bytes (without the `\n`).
///
/// # Errors
/// I/O errors of the reader.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(if too_long {
                Line::TooLong
            } else if line.is_empty() {
                Line::Eof
            } else {
                Line::Complete(line)
            });
        }
        let (take, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        if !too_long {
            if line.len() + take > max {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&buf[..take]);
            }
        }
        reader.consume(take + usize::from(newline));
        if newline {
            return Ok(if too_long { Line::TooLong } else { Line::Complete(line) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_and_bounds_lines() {
        let input = format!("a b\n\n{}\nlast", "x".repeat(20));
        let mut r = tokio::io::BufReader::with_capacity(4, input.as_bytes());
        assert_eq!(read_line(&mut r, 10).await.ok(), Some(Line::Complete(b"a b".to_vec())));
        assert_eq!(read_line(&mut r, 10).await.ok(), Some(Line::Complete(Vec::new())));
        assert_eq!(read_line(&mut r, 10).await.ok(), Some(Line::TooLong));
        assert_eq!(read_line(&mut r, 10).await.ok(), Some(Line::Complete(b"last".to_vec())));
        assert_eq!(read_line(&mut r, 10).await.ok(), Some(Line::Eof));
    }

    #[tokio::test]
    async fn exactly_max_is_accepted() {
        let mut r = tokio::io::BufReader::new(&b"12345\n123456\n"[..]);
        assert_eq!(read_line(&mut r, 5).await.ok(), Some(Line::Complete(b"12345".to_vec())));
        assert_eq!(read_line(&mut r, 5).await.ok(), Some(Line::TooLong));
    }
}
