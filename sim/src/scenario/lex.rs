//! The scenario tokenizer, and the cursor the parser walks a line's tokens
//! with.
//!
//! A line (its comment already cut off at the first `#`) is split into
//! tokens of two kinds:
//!
//! - words: runs of ASCII letters, digits and `_ . % / :`; a `-` between two
//!   letters or digits belongs to the word (`transfer-leader`, `prevote-resp`),
//!   so set difference needs spaces (`all - old`);
//! - punctuation: `->` `>=` `<=` `==` `!=` and the single characters
//!   `{ } , | + - = > < !`.
//!
//! Any other character is an error. Every token knows its 1-based column (in
//! characters) and whether it is glued to the previous one (no whitespace in
//! between), which is how `pre_vote=on` and `+500ms` are told apart from
//! `a + b`.

use super::ast::{ParseError, Span};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Letters, digits and `_ . % / :` (and inner `-`).
    Word,
    /// An operator or a bracket.
    Punct,
}

/// One token of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token<'a> {
    /// Word or punctuation.
    pub kind: Kind,
    /// The token's text.
    pub text: &'a str,
    /// Its column, from 1, in characters.
    pub col: usize,
    /// Whether it directly follows the previous token (no whitespace).
    pub glued: bool,
}

impl Token<'_> {
    /// Whether this is the word `word`.
    pub fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }

    /// Whether this is the punctuation `punct`.
    pub fn is_punct(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text == punct
    }

    /// The column just past the token.
    pub fn end_col(&self) -> usize {
        self.col + self.text.chars().count()
    }
}

/// What the tokenizer accepts, for its error message.
const ALPHABET: &str = "a word (letters, digits and `_ . % / :`), a number, \
     or one of `{ } , | + - -> = >= <= == !=` (`#` starts a comment)";

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '/' | ':')
}

/// Splits one line (without its comment) into tokens.
pub(super) fn lex<'a>(
    file: &str,
    line: usize,
    code: &'a str,
) -> Result<Vec<Token<'a>>, ParseError> {
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(code.len(), |&(b, _)| b);
    let char_at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut glued = false;
    while let Some(c) = char_at(i) {
        if c.is_whitespace() {
            glued = false;
            i += 1;
            continue;
        }
        let start = i;
        let kind = if is_word_char(c) {
            i += 1;
            while let Some(c) = char_at(i) {
                let inner_dash = c == '-'
                    && char_at(i - 1).is_some_and(|p| p.is_ascii_alphanumeric())
                    && char_at(i + 1).is_some_and(|n| n.is_ascii_alphanumeric());
                if is_word_char(c) || inner_dash {
                    i += 1;
                } else {
                    break;
                }
            }
            Kind::Word
        } else {
            let pair = (c, char_at(i + 1));
            i += match pair {
                ('-', Some('>')) | ('>' | '<' | '=' | '!', Some('=')) => 2,
                ('{' | '}' | ',' | '|' | '+' | '-' | '=' | '>' | '<' | '!', _) => 1,
                _ => {
                    let span = Span {
                        line,
                        col: start + 1,
                    };
                    return Err(ParseError::new(file, span, &c.to_string(), ALPHABET));
                }
            };
            Kind::Punct
        };
        tokens.push(Token {
            kind,
            text: &code[byte_at(start)..byte_at(i)],
            col: start + 1,
            glued: glued && !tokens.is_empty(),
        });
        glued = true;
    }
    Ok(tokens)
}

/// A cursor over one line's tokens, with the error helpers every parsing
/// function uses.
#[derive(Debug)]
pub(super) struct Cursor<'a> {
    file: &'a str,
    line: usize,
    tokens: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the first of `tokens`, which came from `file`'s `line`.
    pub fn new(file: &'a str, line: usize, tokens: Vec<Token<'a>>) -> Self {
        Cursor {
            file,
            line,
            tokens,
            pos: 0,
        }
    }

    /// The line number.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The next token, if any.
    pub fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    /// The token `n` places after the next one.
    pub fn peek_at(&self, n: usize) -> Option<Token<'a>> {
        self.tokens.get(self.pos + n).copied()
    }

    /// Takes the next token.
    pub fn next(&mut self) -> Option<Token<'a>> {
        let token = self.peek();
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    /// Whether the line is used up.
    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// Takes the next token if it is the word `word`.
    pub fn eat_word(&mut self, word: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_word(word));
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Takes the next token if it is the punctuation `punct`.
    pub fn eat_punct(&mut self, punct: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_punct(punct));
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Takes the next token if it is a word; otherwise an error saying that
    /// `expected` was.
    pub fn word(&mut self, expected: &str) -> Result<Token<'a>, ParseError> {
        match self.peek() {
            Some(t) if t.kind == Kind::Word => {
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.error_here(expected)),
        }
    }

    /// Takes the next token and the tokens glued to it, as one piece of
    /// text (e.g. the value of `ops=put,get`), with the first one's column;
    /// `None` at the end of the line.
    pub fn glued_run(&mut self) -> Option<(String, usize)> {
        let first = self.next()?;
        let mut text = first.text.to_string();
        while let Some(t) = self.peek().filter(|t| t.glued) {
            text.push_str(t.text);
            self.pos += 1;
        }
        Some((text, first.col))
    }

    /// The column just past the last token: where "end of line" is.
    pub fn end_col(&self) -> usize {
        self.tokens.last().map_or(1, Token::end_col)
    }

    /// An error at a column, on `token` (cut short if long: [`shown`]).
    ///
    /// [`shown`]: super::ast::shown
    pub fn error_at_col(&self, col: usize, token: &str, expected: impl Into<String>) -> ParseError {
        let span = Span {
            line: self.line,
            col,
        };
        ParseError::new(self.file, span, token, expected)
    }

    /// An error at a token.
    pub fn error_at(&self, token: Token<'_>, expected: impl Into<String>) -> ParseError {
        self.error_at_col(token.col, token.text, expected)
    }

    /// An error at the next token (or at the end of the line, token "").
    pub fn error_here(&self, expected: impl Into<String>) -> ParseError {
        match self.peek() {
            Some(t) => self.error_at(t, expected),
            None => self.error_at_col(self.end_col(), "", expected),
        }
    }

    /// Succeeds at the end of the line; otherwise an error at the next
    /// token saying that `expected` was.
    pub fn end(&self, expected: &str) -> Result<(), ParseError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error_here(expected))
        }
    }

    /// Where the next token is (or the end of the line).
    pub fn here(&self) -> Span {
        Span {
            line: self.line,
            col: self.peek().map_or_else(|| self.end_col(), |t| t.col),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(code: &str) -> Vec<(&str, usize, bool)> {
        lex("f", 1, code)
            .unwrap()
            .into_iter()
            .map(|t| (t.text, t.col, t.glued))
            .collect()
    }

    #[test]
    fn words_punctuation_columns_and_glue() {
        assert_eq!(
            texts("cluster 3 pre_vote=on"),
            [
                ("cluster", 1, false),
                ("3", 9, false),
                ("pre_vote", 11, false),
                ("=", 19, true),
                ("on", 20, true)
            ]
        );
        assert_eq!(
            texts("at +500ms transfer-leader 2"),
            [
                ("at", 1, false),
                ("+", 4, false),
                ("500ms", 5, true),
                ("transfer-leader", 11, false),
                ("2", 27, false)
            ]
        );
        assert_eq!(
            texts("{1,old}->all - x"),
            [
                ("{", 1, false),
                ("1", 2, true),
                (",", 3, true),
                ("old", 4, true),
                ("}", 7, true),
                ("->", 8, true),
                ("all", 10, true),
                ("-", 14, false),
                ("x", 16, false)
            ]
        );
        let ops: Vec<&str> = texts(">= <= == != > < ! = 1.5 50/s 5% a-b a- -b")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            ops,
            [
                ">=", "<=", "==", "!=", ">", "<", "!", "=", "1.5", "50/s", "5%", "a-b", "a", "-",
                "-", "b"
            ]
        );
    }

    #[test]
    fn columns_count_characters_and_bad_characters_are_errors() {
        let err = lex("f", 4, "ok \u{e9}x").unwrap_err();
        assert_eq!(
            (err.span.line, err.span.col, err.token.as_str()),
            (4, 4, "\u{e9}")
        );
        let err = lex("f", 1, "\u{a0}\u{a0}crash 1 @").unwrap_err();
        assert_eq!((err.span.col, err.token.as_str()), (11, "@"));
    }
}
