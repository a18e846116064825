//! Colour: decided once at start-up, applied with a handful of ANSI escapes.

use std::io::IsTerminal;

use teapot_codes::Class;

/// The `--color` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Decides whether standard output gets colour.
    pub fn resolve(self) -> Style {
        let on = match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        Style { on }
    }
}

/// Whether to colour, and how.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dimmed text.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Red text (MUST findings).
    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Green text (passing verdicts).
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Yellow text (SHOULD findings).
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// A status code coloured by its class.
    pub fn code(self, class: Class, text: &str) -> String {
        let color = match class {
            Class::Informational => "1;34",
            Class::Successful => "1;32",
            Class::Redirection => "1;36",
            Class::ClientError => "1;33",
            Class::ServerError => "1;31",
        };
        self.paint(color, text)
    }
}
