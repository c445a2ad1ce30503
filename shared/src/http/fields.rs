//! Reading typed fields out of a JSON object, collecting every fault with its field name.

use serde_json::{Map, Value};

/// What is wrong with one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    Missing,
    /// The JSON type is wrong; names the expected one.
    WrongType(&'static str),
    Invalid(String),
}

/// Where an input travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Body,
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Body => "body",
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// One faulty input: where, which (empty for the body as a whole), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub location: Location,
    pub field: String,
    pub fault: Fault,
}

impl FieldError {
    pub fn new(location: Location, field: &str, fault: Fault) -> FieldError {
        FieldError {
            location,
            field: field.into(),
            fault,
        }
    }

    /// An input that is present but unacceptable, with the reason.
    pub fn invalid(location: Location, field: &str, message: impl Into<String>) -> FieldError {
        Self::new(location, field, Fault::Invalid(message.into()))
    }

    pub fn message(&self) -> String {
        match &self.fault {
            Fault::Missing => "Field required".into(),
            Fault::WrongType(t) => format!("Input should be a valid {t}"),
            Fault::Invalid(m) => m.clone(),
        }
    }
}

/// A JSON body being read. `null` counts as absent everywhere.
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

    pub fn fail(&mut self, field: &str, fault: Fault) {
        self.errors
            .push(FieldError::new(Location::Body, field, fault));
    }

    pub fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.fail(field, Fault::Invalid(message.into()));
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_str(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.fail(name, Fault::WrongType("string"));
                None
            }
        }
    }

    pub fn str(&mut self, name: &str) -> Option<String> {
        if self.present(name).is_none() {
            self.fail(name, Fault::Missing);
            return None;
        }
        self.opt_str(name)
    }

    /// A required JSON object (nested fields).
    pub fn object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.present(name) {
            None => self.fail(name, Fault::Missing),
            Some(Value::Object(map)) => return Some(map.clone()),
            Some(_) => self.fail(name, Fault::WrongType("object")),
        }
        None
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
                self.fail(name, Fault::WrongType("integer"));
                None
            }
        }
    }

    /// A string or a whole number, as text (identifiers some clients send either way). A
    /// fraction or an exponent is no identifier: `2.5e-42` is refused, not read as text.
    pub fn opt_text(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => {
                self.fail(name, Fault::WrongType("string"));
                None
            }
        }
    }
}
