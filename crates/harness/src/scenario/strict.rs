//! A second reading of scenarios, templates and their blocks that refuses a JSON array where
//! a struct (an object with named fields) is expected.
//!
//! serde's derived structs also accept their fields as an array, in declaration order: with
//! serde_json alone, `"cluster": [3]` reads as `{"nodes": 3}` and `"cluster": [3, 4]` fails
//! with a message about the second field's type. Neither form is documented. Before the
//! ordinary reading, [`objects_only`] reads the block through [`Strict`], a deserializer over
//! its `serde_json::Value` that hands every value to the same visitors as serde_json does,
//! except that a struct (or a struct variant of an enum) given an array is an error. Only
//! that error is reported: the ordinary reading, with its line numbers, has the last word on
//! everything else. Enums tagged inside their content (`#[serde(tag = ...)]`) and
//! untagged ones are read by serde through its own buffer, not through this deserializer: a
//! type that reads one of its forms as a struct calls [`objects_only`] itself (the Pareto
//! latency in `spec.rs`, the staggered outage in `outage.rs`).

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Value};

/// The message of the one error this reading reports.
const ARRAY_FOR_OBJECT: &str = "expected a JSON object, found an array";

/// `Err((path, message))` if `value`, read as `T`, gives an array where a struct is
/// expected; the path is serde_path_to_error's (`a.b[2].c`), relative to `value`.
pub(crate) fn objects_only<T: DeserializeOwned>(value: &Value) -> Result<(), (String, String)> {
    match serde_path_to_error::deserialize::<_, T>(Strict(value)) {
        Err(error) if error.inner().to_string() == ARRAY_FOR_OBJECT => {
            Err((error.path().to_string(), ARRAY_FOR_OBJECT.to_string()))
        }
        _ => Ok(()),
    }
}

/// A block held as a `Value` (a protocol block, an `expect` block, a template's `fuzz` block)
/// read as `T`: first [`objects_only`], then serde (the field path from serde_path_to_error);
/// `Err((path, message))`, the path relative to the block, the message in plain words.
pub(crate) fn read_block<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    objects_only::<T>(&value)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        (path, super::plain_message(&error.into_inner().to_string()))
    })
}

/// A deserializer over a borrowed `Value` that refuses arrays for structs.
struct Strict<'a>(&'a Value);

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries {
                entries: map.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::custom(ARRAY_FOR_OBJECT)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(variant) => visitor.visit_enum(Variant {
                name: variant,
                value: None,
            }),
            Value::Object(map) if map.len() == 1 => {
                let (name, value) = map.iter().next().expect("one entry");
                visitor.visit_enum(Variant {
                    name,
                    value: Some(value),
                })
            }
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// An array's items, each read strictly.
struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }
}

/// An object's entries, each value read strictly.
struct Entries<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(key.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value asked before its key"))?;
        seed.deserialize(Strict(value))
    }
}

/// An externally tagged enum value: the variant's name and, unless it is a bare string, its
/// content.
struct Variant<'a> {
    name: &'a str,
    value: Option<&'a Value>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Content<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Content<'de>), Error> {
        let variant = seed.deserialize(self.name.into_deserializer())?;
        Ok((variant, Content(self.value)))
    }
}

/// A variant's content (`None` for a unit variant written as a string).
struct Content<'a>(Option<&'a Value>);

impl<'de> VariantAccess<'de> for Content<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(de::Error::custom("expected a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.0 {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom("expected a newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Some(value) => de::Deserializer::deserialize_any(Strict(value), visitor),
            None => Err(de::Error::custom("expected a tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Some(value) => de::Deserializer::deserialize_struct(Strict(value), "", fields, visitor),
            None => Err(de::Error::custom("expected a struct variant")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        nodes: u32,
        name: Option<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Action {
        Stop,
        Crash(u32),
        Move { to: u32 },
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        #[serde(default)]
        actions: Vec<Action>,
        pair: (u32, String),
    }

    fn check(text: &str) -> Result<(), (String, String)> {
        let value: Value = serde_json::from_str(text).unwrap();
        assert!(
            serde_json::from_str::<Outer>(text).is_ok(),
            "serde_json alone reads {text}"
        );
        objects_only::<Outer>(&value)
    }

    #[test]
    fn objects_pass_and_arrays_for_structs_are_named_by_path() {
        let ok = r#"{"inner": {"nodes": 3}, "list": [{"nodes": 1, "name": "a"}],
                     "actions": ["Stop", {"Crash": 2}, {"Move": {"to": 1}}], "pair": [1, "x"]}"#;
        assert_eq!(check(ok), Ok(()));
        let top = r#"{"inner": [3, null], "list": [], "pair": [1, "x"]}"#;
        assert_eq!(check(top), Err(("inner".into(), ARRAY_FOR_OBJECT.into())));
        let listed =
            r#"{"inner": {"nodes": 3}, "list": [{"nodes": 1}, [2, "b"]], "pair": [1, "x"]}"#;
        assert_eq!(
            check(listed),
            Err(("list[1]".into(), ARRAY_FOR_OBJECT.into()))
        );
        let variant =
            r#"{"inner": {"nodes": 3}, "list": [], "actions": [{"Move": [1]}], "pair": [1, "x"]}"#;
        assert_eq!(
            check(variant),
            Err(("actions[0].Move".into(), ARRAY_FOR_OBJECT.into()))
        );
    }

    #[test]
    fn other_errors_are_left_to_the_first_reading() {
        let value: Value = serde_json::json!({"inner": {"nodes": "three"}});
        assert_eq!(objects_only::<Outer>(&value), Ok(()));
    }
}
