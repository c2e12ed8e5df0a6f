//! A deserializer adapter that reads a struct only from a JSON object.
//!
//! serde's derived structs also accept a sequence, filling the fields in declaration order: without
//! this, `[null, null]` is a valid body for an operation whose body has two optional fields (and
//! `{"spec": [..]}` a valid `spec`), accepted as if it were `{}`. Wrapped around the JSON
//! deserializer, [`ObjectsOnly`] passes everything through, at every depth, except a sequence where
//! a struct is expected, which is the usual "invalid type" error (docs/wire.md §2, "Input rules":
//! a value of the wrong type is refused).

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// Wraps a deserializer; see the module documentation.
pub struct ObjectsOnly<D>(pub D);

/// Wraps a visitor: everything it is handed is wrapped in turn. `structs` refuses sequences;
/// `integers` reads an integral number written with a fraction (`5.0`) as the integer it is, as JSON
/// Schema's `integer` does.
struct Wrap<V> {
    inner: V,
    structs: bool,
    integers: bool,
}

fn wrap<V>(inner: V) -> Wrap<V> {
    Wrap { inner, structs: false, integers: false }
}

/// Wraps a seed, so the value it deserializes is read through [`ObjectsOnly`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(deserializer))
    }
}

macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(wrap(visitor))
        }
    )*};
}

macro_rules! forward_integer {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap { integers: true, ..wrap(visitor) })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_integer! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    forward! {
        deserialize_any deserialize_bool deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
        deserialize_map deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, wrap(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Wrap { structs: true, ..wrap(visitor) })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! pass {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.structs {
            f.write_str("an object")
        } else {
            self.inner.expecting(f)
        }
    }

    pass! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128) visit_f32(f32)
        visit_char(char) visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        // Integral and within 2^53, where every integer is exact.
        if self.integers && v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
            return if v < 0.0 { self.inner.visit_i64(v as i64) } else { self.inner.visit_u64(v as u64) };
        }
        self.inner.visit_f64(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(ObjectsOnly(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(ObjectsOnly(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.structs {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        self.inner.visit_seq(Access(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Access(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Access(data))
    }
}

/// Wraps a sequence, map, enum or variant access, so each value in it is read through [`ObjectsOnly`].
struct Access<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0.variant_seed(Seed(seed)).map(|(value, variant)| (value, Access(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Access<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap { structs: true, ..wrap(visitor) })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::ObjectsOnly;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        a: Option<String>,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        pair: Option<(u8, u8)>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        x: Option<u8>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Kind {
        Plain,
        Shaped { x: u8 },
    }

    fn parse(text: &str) -> Result<Outer, serde_json::Error> {
        Outer::deserialize(ObjectsOnly(&mut serde_json::Deserializer::from_str(text)))
    }

    #[test]
    fn structs_come_only_from_objects_at_every_depth() {
        let all = r#"{"a": "t", "inner": {"x": 1}, "list": [{"x": 2}], "pair": [3, 4], "kind": {"Shaped": {"x": 5}}}"#;
        let parsed = parse(all).unwrap();
        assert_eq!(parsed.inner, Some(Inner { x: Some(1) }));
        assert_eq!(parsed.list, Some(vec![Inner { x: Some(2) }]));
        assert_eq!((parsed.pair, parsed.kind), (Some((3, 4)), Some(Kind::Shaped { x: 5 })));
        assert_eq!(parse(r#"{"kind": "Plain"}"#).unwrap().kind, Some(Kind::Plain));
        // Plain serde would take each of these as a struct written field by field.
        for text in [
            "[null, null, null, null, null]",
            r#"{"inner": [1]}"#,
            r#"{"list": [[2]]}"#,
            r#"{"kind": {"Shaped": [5]}}"#,
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains("invalid type: sequence, expected an object"), "{text}: {e}");
            assert!(serde_json::from_str::<Outer>(text).is_ok(), "serde alone accepts {text}");
        }
    }

    #[test]
    fn an_integral_number_with_a_fraction_is_an_integer_where_one_is_expected() {
        assert_eq!(parse(r#"{"inner": {"x": 7.0}}"#).unwrap().inner, Some(Inner { x: Some(7) }));
        for text in [r#"{"inner": {"x": 7.5}}"#, r#"{"inner": {"x": 300.0}}"#, r#"{"inner": {"x": -1.0}}"#] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(
            serde_json::from_str::<Outer>(r#"{"inner": {"x": 7.0}}"#).is_err(),
            "serde alone refuses 7.0"
        );
    }
}
