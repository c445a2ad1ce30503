//! Reading typed fields out of a JSON object, collecting every problem with its field name.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// The JSON type is wrong; names the expected one.
    WrongType(&'static str),
    Invalid(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn message(&self) -> String {
        match &self.problem {
            Problem::Missing => "Field required".into(),
            Problem::WrongType(t) => format!("Input should be a valid {t}"),
            Problem::Invalid(m) => m.clone(),
        }
    }
}

/// A JSON object being read. `null` counts as absent everywhere.
pub struct Fields {
    map: Map<String, Value>,
    pub errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(map: Map<String, Value>) -> Self {
        Fields {
            map,
            errors: Vec::new(),
        }
    }

    pub fn fail(&mut self, field: &str, problem: Problem) {
        self.errors.push(FieldError {
            field: field.into(),
            problem,
        });
    }

    pub fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.fail(field, Problem::Invalid(message.into()));
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_str(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.fail(name, Problem::WrongType("string"));
                None
            }
        }
    }

    pub fn str(&mut self, name: &str) -> Option<String> {
        if self.present(name).is_none() {
            self.fail(name, Problem::Missing);
            return None;
        }
        self.opt_str(name)
    }

    /// A whole number in `range`; a numeric string is accepted too (clients send `"600"`).
    pub fn opt_uint(&mut self, name: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
        let n = match self.present(name)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if range.contains(&n) => Some(n),
            Some(_) => {
                self.invalid(
                    name,
                    format!(
                        "Input should be between {} and {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
            None => {
                self.fail(name, Problem::WrongType("integer"));
                None
            }
        }
    }

    /// A string or a number, as text (identifiers some clients send either way).
    pub fn opt_text(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.fail(name, Problem::WrongType("string"));
                None
            }
        }
    }
}
