//! The serde attributes of the item, its variants and fields that the bounds depend on.

use super::types::{implicitly_borrowed, lifetimes};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Data, DeriveInput, Expr, Field, Ident, Lifetime, LitStr, Meta, Token, WherePredicate,
};

/// A field of the item with its serde attributes, its variant's folded in.
pub(super) struct FieldAttrs<'a> {
    pub(super) field: &'a Field,
    pub(super) attrs: Attrs,
    pub(super) variant: Attrs,
}

impl<'a> FieldAttrs<'a> {
    pub(super) fn of(item: &'a DeriveInput) -> syn::Result<Vec<Self>> {
        let mut all = Vec::new();
        match &item.data {
            Data::Struct(data) => {
                for field in &data.fields {
                    let attrs = Attrs::parse(&field.attrs)?;
                    all.push(FieldAttrs {
                        field,
                        attrs,
                        variant: Attrs::default(),
                    });
                }
            }
            Data::Enum(data) => {
                for variant in &data.variants {
                    let variant_attrs = Attrs::parse(&variant.attrs)?;
                    for field in &variant.fields {
                        let attrs = Attrs::parse(&field.attrs)?;
                        all.push(FieldAttrs {
                            field,
                            attrs,
                            variant: variant_attrs.clone(),
                        });
                    }
                }
            }
            Data::Union(_) => {}
        }
        Ok(all)
    }

    /// Whether serde's derive serializes the field itself (so needs its type to be
    /// `Serialize`).
    pub(super) fn serialized(&self) -> bool {
        [&self.attrs, &self.variant]
            .iter()
            .all(|a| !a.skip_serializing && !a.serialize_with && a.ser_bound.is_none())
    }

    /// Whether serde's derive deserializes the field itself.
    pub(super) fn deserialized(&self) -> bool {
        [&self.attrs, &self.variant]
            .iter()
            .all(|a| !a.skip_deserializing && !a.deserialize_with && a.de_bound.is_none())
    }

    /// Whether the field is set to `Default::default()`: `default`, or skipped when
    /// neither it nor the container names a default.
    pub(super) fn defaulted(&self, container: &Attrs) -> bool {
        match self.attrs.default {
            Some(FieldDefault::Plain) => true,
            Some(FieldDefault::Path) => false,
            None => self.attrs.skip_deserializing && container.default.is_none(),
        }
    }

    /// The lifetimes serde borrows from the deserializer for this field.
    pub(super) fn borrowed(&self) -> Vec<Lifetime> {
        let mut out = Vec::new();
        match self.attrs.borrow.as_ref().or(self.variant.borrow.as_ref()) {
            Some(Some(given)) => out.extend(given.iter().cloned()),
            Some(None) => lifetimes(&self.field.ty, &mut out),
            None if implicitly_borrowed(&self.field.ty) => lifetimes(&self.field.ty, &mut out),
            None => {}
        }
        out
    }
}

/// `default` or `default = "path"`.
#[derive(Clone, Copy)]
pub(super) enum FieldDefault {
    Plain,
    Path,
}

/// What of an item's, a variant's or a field's `#[serde(...)]` attributes bears on the
/// bounds and the crate path; serde itself reads the rest from the mirror.
#[derive(Clone, Default)]
pub(super) struct Attrs {
    pub(super) krate: Option<syn::Path>,
    pub(super) skip_serializing: bool,
    pub(super) skip_deserializing: bool,
    pub(super) serialize_with: bool,
    pub(super) deserialize_with: bool,
    pub(super) ser_bound: Option<Vec<WherePredicate>>,
    pub(super) de_bound: Option<Vec<WherePredicate>>,
    pub(super) default: Option<FieldDefault>,
    /// `borrow` (`Some(None)`: every lifetime of the type) or `borrow = "'a + 'b"`.
    pub(super) borrow: Option<Option<Vec<Lifetime>>>,
}

impl Attrs {
    pub(super) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = Attrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let Meta::List(list) = &attr.meta else {
                continue;
            };
            let items = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
            for meta in &items {
                out.add(meta)?;
            }
        }
        Ok(out)
    }

    pub(super) fn add(&mut self, meta: &Meta) -> syn::Result<()> {
        let Some(key) = meta.path().get_ident().map(Ident::to_string) else {
            return Ok(());
        };
        match (key.as_str(), meta) {
            ("skip", _) => (self.skip_serializing, self.skip_deserializing) = (true, true),
            ("skip_serializing", _) => self.skip_serializing = true,
            ("skip_deserializing", _) => self.skip_deserializing = true,
            ("with", _) => (self.serialize_with, self.deserialize_with) = (true, true),
            ("serialize_with", _) => self.serialize_with = true,
            ("deserialize_with", _) => self.deserialize_with = true,
            ("default", Meta::Path(_)) => self.default = Some(FieldDefault::Plain),
            ("default", _) => self.default = Some(FieldDefault::Path),
            ("bound", Meta::NameValue(nv)) => {
                let predicates = predicates(&nv.value)?;
                self.ser_bound = Some(predicates.clone());
                self.de_bound = Some(predicates);
            }
            ("bound", Meta::List(list)) => {
                let items =
                    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
                for item in &items {
                    let Meta::NameValue(nv) = item else { continue };
                    if nv.path.is_ident("serialize") {
                        self.ser_bound = Some(predicates(&nv.value)?);
                    } else if nv.path.is_ident("deserialize") {
                        self.de_bound = Some(predicates(&nv.value)?);
                    }
                }
            }
            ("borrow", Meta::Path(_)) => self.borrow = Some(None),
            ("borrow", Meta::NameValue(nv)) => {
                let given = string(&nv.value, "borrow = \"'a + 'b\"")?
                    .parse_with(Punctuated::<Lifetime, Token![+]>::parse_separated_nonempty)?;
                self.borrow = Some(Some(given.into_iter().collect()));
            }
            ("crate", _) => {
                const EXAMPLE: &str = "crate = \"es::serde\"";
                let value = match meta {
                    Meta::NameValue(nv) => string(&nv.value, EXAMPLE)?,
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            format!("expected the path of serde as a string, as in `{EXAMPLE}`"),
                        ));
                    }
                };
                if self.krate.is_some() {
                    return Err(syn::Error::new_spanned(
                        meta,
                        "duplicate serde attribute `crate`",
                    ));
                }
                self.krate = Some(value.parse().map_err(|_| {
                    syn::Error::new_spanned(
                        value,
                        format!("expected the path of serde, as in `{EXAMPLE}`"),
                    )
                })?);
            }
            _ => {}
        }
        Ok(())
    }
}

/// The string literal `expr` is, or an error naming the `example`.
pub(super) fn string<'a>(expr: &'a Expr, example: &str) -> syn::Result<&'a LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string literal, as in `{example}`"),
        )),
    }
}

/// The where predicates in a `bound = "..."` string.
pub(super) fn predicates(expr: &Expr) -> syn::Result<Vec<WherePredicate>> {
    let text = string(expr, "bound = \"T: MyTrait\"")?;
    let parsed = text.parse_with(Punctuated::<WherePredicate, Token![,]>::parse_terminated)?;
    Ok(parsed.into_iter().collect())
}
