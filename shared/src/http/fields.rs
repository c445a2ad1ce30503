//! Request bodies as types: structs of lenient `Input` fields, and the faults found in them,
//! each with its field name.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
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

/// One body field as the caller sent it: absent (or `null`), of a JSON type the field takes,
/// or not. Bodies are structs of these, so that a body always deserialises and `Faults` can
/// list every fault with its field name (serde alone stops at the first).
#[derive(Default)]
pub enum Input<T: Json> {
    #[default]
    Absent,
    Given(T::Out),
    Wrong,
}

/// A JSON type a field takes, read leniently where clients differ.
pub trait Json {
    type Out;
    /// The type's name in a wrong-type fault ("Input should be a valid …").
    const NAME: &'static str;
    fn read(value: Value) -> Option<Self::Out>;
}

/// A JSON string.
#[derive(Debug)]
pub struct Str;

impl Json for Str {
    type Out = String;
    const NAME: &'static str = "string";
    fn read(value: Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A string or a whole number, as text (identifiers some clients send either way). A
/// fraction or an exponent is no identifier: `2.5e-42` is refused, not read as text.
#[derive(Debug)]
pub struct Text;

impl Json for Text {
    type Out = String;
    const NAME: &'static str = "string";
    fn read(value: Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => None,
        }
    }
}

/// A whole number; a numeric string is accepted too (clients send `"600"`).
#[derive(Debug)]
pub struct Whole;

impl Json for Whole {
    type Out = u64;
    const NAME: &'static str = "integer";
    fn read(value: Value) -> Option<u64> {
        match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
    }
}

/// A JSON number, fractions allowed (a price); a numeric string is accepted too.
#[derive(Debug)]
pub struct Decimal;

impl Json for Decimal {
    type Out = f64;
    const NAME: &'static str = "number";
    fn read(value: Value) -> Option<f64> {
        match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite())
    }
}

/// A nested object whose fields are `Input`s themselves.
#[derive(Debug)]
pub struct Object<T>(std::marker::PhantomData<T>);

impl<T: DeserializeOwned + Default> Json for Object<T> {
    type Out = T;
    const NAME: &'static str = "object";
    fn read(value: Value) -> Option<T> {
        match value {
            Value::Object(map) => Some(from_map(map)),
            _ => None,
        }
    }
}

impl<'de, T: Json> Deserialize<'de> for Input<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Input::Absent,
            v => T::read(v).map_or(Input::Wrong, Input::Given),
        })
    }
}

/// A body of `Input` fields from a JSON object. Cannot fail: a field of the wrong type is
/// `Input::Wrong`, an unknown field is ignored.
pub fn from_map<T: DeserializeOwned + Default>(map: Map<String, Value>) -> T {
    T::deserialize(Value::Object(map)).unwrap_or_default()
}

/// The faults found in a body, in the order its fields were checked.
#[derive(Debug, Default)]
pub struct Faults {
    pub errors: Vec<FieldError>,
}

impl Faults {
    pub fn fail(&mut self, field: &str, fault: Fault) {
        self.errors
            .push(FieldError::new(Location::Body, field, fault));
    }

    pub fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.fail(field, Fault::Invalid(message.into()));
    }

    /// An optional field's value; a wrong type is a fault.
    pub fn opt<T: Json>(&mut self, field: &str, input: Input<T>) -> Option<T::Out> {
        match input {
            Input::Absent => None,
            Input::Given(v) => Some(v),
            Input::Wrong => {
                self.fail(field, Fault::WrongType(T::NAME));
                None
            }
        }
    }

    /// A required field's value; absence is a fault too.
    pub fn req<T: Json>(&mut self, field: &str, input: Input<T>) -> Option<T::Out> {
        if matches!(input, Input::Absent) {
            self.fail(field, Fault::Missing);
        }
        self.opt(field, input)
    }

    /// An optional whole number in `range`.
    pub fn opt_whole(
        &mut self,
        field: &str,
        input: Input<Whole>,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let n = self.opt(field, input)?;
        if range.contains(&n) {
            return Some(n);
        }
        self.invalid(
            field,
            format!(
                "Input should be between {} and {}",
                range.start(),
                range.end()
            ),
        );
        None
    }
}
