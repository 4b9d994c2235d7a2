//! The prelude's `Serialize` and `Deserialize` derives: serde's own, reached through
//! `eventsource`, so that a type derives them with no serde dependency and no
//! `#[serde(crate = ...)]` attribute.
//!
//! serde's derive names its crate (`serde`) unless told another path, and a derive cannot
//! add an attribute to the item it is on. So this derive copies the item as a private
//! mirror inside a `const _: () = { ... };` block, derives serde's trait on the mirror with
//! `#[serde(crate = "::eventsource::serde", remote = "Item")]` (serde's way of deriving
//! for a type it cannot annotate), and implements the trait for the item by calling the
//! mirror's functions. The item's `#[serde(...)]` attributes go to the mirror, so they
//! mean what they mean on serde's own derive; `crate = "..."` among them (a renamed
//! dependency: `crate = "es::serde"`) replaces `::eventsource::serde` everywhere.
//!
//! A generic item gets a generic mirror (serde's `remote = "Item"` then stands for
//! `Item<T, ...>`). serde puts its bounds on the mirror's functions, and the item's impl
//! must state the same ones, so this derive infers them as serde's derive does (`T:
//! Serialize` for each type parameter in a serialized field's type, `T: Default` for a
//! defaulted one, `'de: 'a` for each borrowed lifetime, the `bound` attributes instead
//! where given) and hands them to the mirror as its `bound`: both sides agree by
//! construction.

use crate::ctxt::crate_path;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Data, DeriveInput, Expr, Field, Fields, Generics, Ident, Lifetime, LitStr, Meta,
    Token, Type, WherePredicate,
};

/// Which of the two traits.
#[derive(Clone, Copy)]
pub enum Trait {
    Serialize,
    Deserialize,
}

pub fn expand(input: TokenStream, which: Trait) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|item| mirror(item, which)) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn mirror(mut item: DeriveInput, which: Trait) -> syn::Result<TokenStream> {
    spell_out_self(&mut item);
    let name = &item.ident;
    if let Data::Union(_) = item.data {
        return Err(syn::Error::new_spanned(
            name,
            "serde derives no `Serialize` or `Deserialize` for a union",
        ));
    }
    let container = Attrs::parse(&item.attrs)?;
    let serde = match &container.krate {
        Some(path) => crate_path(path),
        None => quote!(::eventsource::serde),
    };
    let fields = FieldAttrs::of(&item)?;
    let bounds = Bounds::infer(&item, &container, &fields, which, &serde)?;
    let remote = name.to_string();
    let serde_text = serde.to_string();
    let mirror_name = format_ident!("__EventsourceSerde{}", name);
    let mut mirror = item.clone();
    mirror.ident = mirror_name.clone();
    mirror.vis = syn::Visibility::Inherited;
    mirror.attrs = container_attrs(&item.attrs)?;
    if let Some(inferred) = &bounds.inferred {
        let text = LitStr::new(&quote!(#(#inferred),*).to_string(), name.span());
        mirror.attrs.push(match which {
            Trait::Serialize => syn::parse_quote!(#[serde(bound(serialize = #text))]),
            Trait::Deserialize => syn::parse_quote!(#[serde(bound(deserialize = #text))]),
        });
    }
    match &mut mirror.data {
        Data::Struct(data) => keep_serde_on_fields(&mut data.fields),
        Data::Enum(data) => {
            for variant in &mut data.variants {
                variant.attrs = serde_attrs(&variant.attrs);
                keep_serde_on_fields(&mut variant.fields);
            }
        }
        Data::Union(_) => {}
    }
    let (_, ty_generics, _) = item.generics.split_for_impl();
    let mut generics = item.generics.clone();
    generics
        .make_where_clause()
        .predicates
        .extend(bounds.predicates);
    let implementation = match which {
        Trait::Serialize => {
            let (impl_generics, _, where_clause) = generics.split_for_impl();
            quote! {
                impl #impl_generics #serde::Serialize for #name #ty_generics #where_clause {
                    fn serialize<__S>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error>
                    where
                        __S: #serde::Serializer,
                    {
                        <#mirror_name #ty_generics>::serialize(self, serializer)
                    }
                }
            }
        }
        Trait::Deserialize => {
            let delife = bounds.de_lifetime;
            if let Some(param) = bounds.de_param {
                generics.params.insert(0, param.into());
            }
            let (impl_generics, _, where_clause) = generics.split_for_impl();
            quote! {
                impl #impl_generics #serde::Deserialize<#delife> for #name #ty_generics #where_clause {
                    fn deserialize<__D>(deserializer: __D) -> ::core::result::Result<Self, __D::Error>
                    where
                        __D: #serde::Deserializer<#delife>,
                    {
                        <#mirror_name #ty_generics>::deserialize(deserializer)
                    }
                }
            }
        }
    };
    let derive = match which {
        Trait::Serialize => quote!(#serde::Serialize),
        Trait::Deserialize => quote!(#serde::Deserialize),
    };
    Ok(quote! {
        const _: () = {
            #[derive(#derive)]
            #[serde(crate = #serde_text, remote = #remote)]
            #[allow(dead_code, non_camel_case_types)]
            #mirror
            #implementation
        };
    })
}

/// `Self` in the item's field types written as the item (`Item<T>`, `<Item<T>>::Assoc`):
/// in the mirror `Self` would be the mirror, and serde's derive infers its bounds from
/// the written-out types too.
fn spell_out_self(item: &mut DeriveInput) {
    let name = &item.ident;
    let (_, ty_generics, _) = item.generics.split_for_impl();
    let this: Type = syn::parse_quote!(#name #ty_generics);
    let fields: Vec<&mut Field> = match &mut item.data {
        Data::Struct(data) => data.fields.iter_mut().collect(),
        Data::Enum(data) => data
            .variants
            .iter_mut()
            .flat_map(|v| v.fields.iter_mut())
            .collect(),
        Data::Union(_) => Vec::new(),
    };
    for field in fields {
        replace_self(&mut field.ty, &this);
    }
}

fn replace_self(ty: &mut Type, this: &Type) {
    match ty {
        Type::Array(t) => replace_self(&mut t.elem, this),
        Type::Group(t) => replace_self(&mut t.elem, this),
        Type::Paren(t) => replace_self(&mut t.elem, this),
        Type::Ptr(t) => replace_self(&mut t.elem, this),
        Type::Reference(t) => replace_self(&mut t.elem, this),
        Type::Slice(t) => replace_self(&mut t.elem, this),
        Type::Tuple(t) => t.elems.iter_mut().for_each(|t| replace_self(t, this)),
        Type::Path(t) => {
            if let Some(qself) = &mut t.qself {
                replace_self(&mut qself.ty, this);
            }
            for segment in &mut t.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        match arg {
                            syn::GenericArgument::Type(t) => replace_self(t, this),
                            syn::GenericArgument::AssocType(t) => replace_self(&mut t.ty, this),
                            _ => {}
                        }
                    }
                }
            }
            let starts_with_self = t.qself.is_none()
                && t.path.leading_colon.is_none()
                && t.path.segments.first().is_some_and(|s| s.ident == "Self");
            if !starts_with_self {
                return;
            }
            let rest: Vec<&syn::PathSegment> = t.path.segments.iter().skip(1).collect();
            *ty = match rest.is_empty() {
                true => this.clone(),
                false => syn::parse_quote!(<#this>::#(#rest)::*),
            };
        }
        _ => {}
    }
}

/// The bounds of the item's impl beyond its own where clause, as serde's derive puts them
/// on the mirror's function.
struct Bounds {
    /// Those of the `bound` attributes of fields and variants, then the container's
    /// `bound` or, without one, the inferred bounds.
    predicates: Vec<WherePredicate>,
    /// The inferred bounds, which the mirror is given as its `bound` (serde's inference
    /// would name the mirror, not the item, in `Self: Default`); `None` when the container
    /// has a `bound` for this trait.
    inferred: Option<Vec<WherePredicate>>,
    /// `Deserialize`'s lifetime: `'de`, or `'static` when a field borrows `'static`.
    de_lifetime: Lifetime,
    /// `'de: 'a + ...`, one bound for each borrowed lifetime; none for `'static`.
    de_param: Option<syn::LifetimeParam>,
}

impl Bounds {
    fn infer(
        item: &DeriveInput,
        container: &Attrs,
        fields: &[FieldAttrs],
        which: Trait,
        serde: &TokenStream,
    ) -> syn::Result<Self> {
        let (de_lifetime, de_param) = de_lifetime(fields);
        let own = |attrs: &Attrs| match which {
            Trait::Serialize => attrs.ser_bound.clone(),
            Trait::Deserialize => attrs.de_bound.clone(),
        };
        let mut predicates: Vec<WherePredicate> = Vec::new();
        if let Data::Enum(data) = &item.data {
            for variant in &data.variants {
                predicates.extend(own(&Attrs::parse(&variant.attrs)?).into_iter().flatten());
            }
        }
        for field in fields {
            predicates.extend(own(&field.attrs).into_iter().flatten());
        }
        let inferred = match own(container) {
            Some(given) => {
                predicates.extend(given);
                None
            }
            None => {
                let bound = match which {
                    Trait::Serialize => quote!(#serde::Serialize),
                    Trait::Deserialize => quote!(#serde::Deserialize<#de_lifetime>),
                };
                let inferred = inferred(item, container, fields, which, &bound);
                predicates.extend(inferred.iter().cloned());
                Some(inferred)
            }
        };
        Ok(Bounds {
            predicates,
            inferred,
            de_lifetime,
            de_param,
        })
    }
}

/// `Deserialize`'s lifetime and, unless `'static`, its parameter: `'de: 'a + ...` for
/// the lifetimes the fields borrow (`borrow`, or implicitly for `&str` and `&[u8]`).
fn de_lifetime(fields: &[FieldAttrs]) -> (Lifetime, Option<syn::LifetimeParam>) {
    let mut borrowed: Vec<Lifetime> = Vec::new();
    for field in fields.iter().filter(|f| !f.attrs.skip_deserializing) {
        for lifetime in field.borrowed() {
            if !borrowed.contains(&lifetime) {
                borrowed.push(lifetime);
            }
        }
    }
    let span = proc_macro2::Span::call_site();
    if borrowed.iter().any(|l| l.ident == "static") {
        return (Lifetime::new("'static", span), None);
    }
    let de = Lifetime::new("'de", span);
    let param = syn::LifetimeParam {
        attrs: Vec::new(),
        lifetime: de.clone(),
        colon_token: (!borrowed.is_empty()).then(Default::default),
        bounds: borrowed.into_iter().collect(),
    };
    (de, Some(param))
}

/// The bounds serde's derive infers without a container `bound`: `bound` (the trait) on
/// the type parameters of the fields it serializes or deserializes itself, and for
/// `Deserialize` also `Item<T>: Default` for a container `default` and `T: Default` for
/// the parameters of defaulted fields.
fn inferred(
    item: &DeriveInput,
    container: &Attrs,
    fields: &[FieldAttrs],
    which: Trait,
    bound: &TokenStream,
) -> Vec<WherePredicate> {
    let generics = &item.generics;
    let types = |keep: &dyn Fn(&FieldAttrs) -> bool| -> Vec<&Type> {
        let kept = fields.iter().filter(|f| keep(f));
        kept.map(|f| &f.field.ty).collect()
    };
    match which {
        Trait::Serialize => type_param_bounds(generics, types(&|f| f.serialized()), bound),
        Trait::Deserialize => {
            let mut inferred = Vec::new();
            if let Some(FieldDefault::Plain) = container.default {
                let name = &item.ident;
                let (_, ty_generics, _) = generics.split_for_impl();
                inferred.push(syn::parse_quote!(#name #ty_generics: ::core::default::Default));
            }
            let deserialized = types(&|f| f.deserialized());
            inferred.extend(type_param_bounds(generics, deserialized, bound));
            let defaulted = types(&|f| f.defaulted(container));
            let default = quote!(::core::default::Default);
            inferred.extend(type_param_bounds(generics, defaulted, &default));
            inferred
        }
    }
}

/// `T: bound` for each type parameter of `generics` in `types` (not counting those only
/// inside a `PhantomData`, which serde serializes whatever `T` is, nor inside a macro),
/// then `T::Assoc: bound` for each type that is an associated type of one: serde's
/// derive infers the same.
fn type_param_bounds<'a>(
    generics: &Generics,
    types: impl IntoIterator<Item = &'a Type>,
    bound: &TokenStream,
) -> Vec<WherePredicate> {
    let mut finder = TypeParams {
        all: generics.type_params().map(|p| &p.ident).collect(),
        used: Vec::new(),
    };
    let mut associated = Vec::new();
    for ty in types {
        if let Type::Path(path) = ungroup(ty)
            && path.path.segments.len() > 1
            && finder.all.contains(&&path.path.segments[0].ident)
        {
            associated.push(path);
        }
        finder.visit_type(ty);
    }
    let params = finder.all.iter().filter(|p| finder.used.contains(p));
    let params: Vec<WherePredicate> = params.map(|p| syn::parse_quote!(#p: #bound)).collect();
    let associated = associated
        .into_iter()
        .map(|ty| syn::parse_quote!(#ty: #bound));
    params.into_iter().chain(associated).collect()
}

/// Finds the type parameters a type names.
struct TypeParams<'a> {
    all: Vec<&'a Ident>,
    used: Vec<&'a Ident>,
}

impl<'a> TypeParams<'a> {
    fn visit_type(&mut self, ty: &Type) {
        match ty {
            Type::Array(t) => self.visit_type(&t.elem),
            Type::Group(t) => self.visit_type(&t.elem),
            Type::Paren(t) => self.visit_type(&t.elem),
            Type::Ptr(t) => self.visit_type(&t.elem),
            Type::Reference(t) => self.visit_type(&t.elem),
            Type::Slice(t) => self.visit_type(&t.elem),
            Type::Tuple(t) => t.elems.iter().for_each(|t| self.visit_type(t)),
            Type::BareFn(t) => {
                t.inputs.iter().for_each(|arg| self.visit_type(&arg.ty));
                self.visit_return(&t.output);
            }
            Type::ImplTrait(t) => self.visit_bounds(&t.bounds),
            Type::TraitObject(t) => self.visit_bounds(&t.bounds),
            Type::Path(t) => {
                if let Some(qself) = &t.qself {
                    self.visit_type(&qself.ty);
                }
                self.visit_path(&t.path);
            }
            _ => {}
        }
    }

    fn visit_path(&mut self, path: &syn::Path) {
        if path
            .segments
            .last()
            .is_some_and(|s| s.ident == "PhantomData")
        {
            return;
        }
        if let Some(ident) = path.get_ident()
            && let Some(param) = self.all.iter().find(|p| **p == ident)
            && !self.used.contains(param)
        {
            self.used.push(param);
        }
        for segment in &path.segments {
            match &segment.arguments {
                syn::PathArguments::None => {}
                syn::PathArguments::AngleBracketed(args) => {
                    for arg in &args.args {
                        match arg {
                            syn::GenericArgument::Type(t) => self.visit_type(t),
                            syn::GenericArgument::AssocType(t) => self.visit_type(&t.ty),
                            _ => {}
                        }
                    }
                }
                syn::PathArguments::Parenthesized(args) => {
                    args.inputs.iter().for_each(|t| self.visit_type(t));
                    self.visit_return(&args.output);
                }
            }
        }
    }

    fn visit_return(&mut self, output: &syn::ReturnType) {
        if let syn::ReturnType::Type(_, ty) = output {
            self.visit_type(ty);
        }
    }

    fn visit_bounds(&mut self, bounds: &Punctuated<syn::TypeParamBound, Token![+]>) {
        for bound in bounds {
            if let syn::TypeParamBound::Trait(bound) = bound {
                self.visit_path(&bound.path);
            }
        }
    }
}

fn ungroup(mut ty: &Type) -> &Type {
    while let Type::Group(group) = ty {
        ty = &group.elem;
    }
    ty
}

/// Every lifetime a type names (those it could borrow from a deserializer).
fn lifetimes(ty: &Type, out: &mut Vec<Lifetime>) {
    match ty {
        Type::Array(t) => lifetimes(&t.elem, out),
        Type::Group(t) => lifetimes(&t.elem, out),
        Type::Paren(t) => lifetimes(&t.elem, out),
        Type::Ptr(t) => lifetimes(&t.elem, out),
        Type::Slice(t) => lifetimes(&t.elem, out),
        Type::Tuple(t) => t.elems.iter().for_each(|t| lifetimes(t, out)),
        Type::Reference(t) => {
            out.extend(t.lifetime.iter().cloned());
            lifetimes(&t.elem, out);
        }
        Type::Path(t) => {
            if let Some(qself) = &t.qself {
                lifetimes(&qself.ty, out);
            }
            for segment in &t.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        match arg {
                            syn::GenericArgument::Lifetime(l) => out.push(l.clone()),
                            syn::GenericArgument::Type(t) => lifetimes(t, out),
                            syn::GenericArgument::AssocType(t) => lifetimes(&t.ty, out),
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Whether serde borrows a field of this type with no `borrow` attribute: `&str`,
/// `&[u8]`, or an `Option` of one.
fn implicitly_borrowed(ty: &Type) -> bool {
    shared_str_or_bytes(ty) || option_of(ty).is_some_and(shared_str_or_bytes)
}

fn shared_str_or_bytes(ty: &Type) -> bool {
    match ungroup(ty) {
        Type::Reference(r) if r.mutability.is_none() => match ungroup(&r.elem) {
            Type::Slice(slice) => named(&slice.elem, "u8"),
            elem => named(elem, "str"),
        },
        _ => false,
    }
}

/// `T` for a type `Option<T>` (by its last segment, as serde looks at it).
fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ungroup(ty) else {
        return None;
    };
    let last = path.path.segments.last().filter(|s| s.ident == "Option")?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the type is the single name `name` (`str`, `u8`).
fn named(ty: &Type, name: &str) -> bool {
    matches!(ungroup(ty), Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// A field of the item with its serde attributes, its variant's folded in.
struct FieldAttrs<'a> {
    field: &'a Field,
    attrs: Attrs,
    variant: Attrs,
}

impl<'a> FieldAttrs<'a> {
    fn of(item: &'a DeriveInput) -> syn::Result<Vec<Self>> {
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
    fn serialized(&self) -> bool {
        [&self.attrs, &self.variant]
            .iter()
            .all(|a| !a.skip_serializing && !a.serialize_with && a.ser_bound.is_none())
    }

    /// Whether serde's derive deserializes the field itself.
    fn deserialized(&self) -> bool {
        [&self.attrs, &self.variant]
            .iter()
            .all(|a| !a.skip_deserializing && !a.deserialize_with && a.de_bound.is_none())
    }

    /// Whether the field is set to `Default::default()`: `default`, or skipped when
    /// neither it nor the container names a default.
    fn defaulted(&self, container: &Attrs) -> bool {
        match self.attrs.default {
            Some(FieldDefault::Plain) => true,
            Some(FieldDefault::Path) => false,
            None => self.attrs.skip_deserializing && container.default.is_none(),
        }
    }

    /// The lifetimes serde borrows from the deserializer for this field.
    fn borrowed(&self) -> Vec<Lifetime> {
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
enum FieldDefault {
    Plain,
    Path,
}

/// What of an item's, a variant's or a field's `#[serde(...)]` attributes bears on the
/// bounds and the crate path; serde itself reads the rest from the mirror.
#[derive(Clone, Default)]
struct Attrs {
    krate: Option<syn::Path>,
    skip_serializing: bool,
    skip_deserializing: bool,
    serialize_with: bool,
    deserialize_with: bool,
    ser_bound: Option<Vec<WherePredicate>>,
    de_bound: Option<Vec<WherePredicate>>,
    default: Option<FieldDefault>,
    /// `borrow` (`Some(None)`: every lifetime of the type) or `borrow = "'a + 'b"`.
    borrow: Option<Option<Vec<Lifetime>>>,
}

impl Attrs {
    fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
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

    fn add(&mut self, meta: &Meta) -> syn::Result<()> {
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
fn string<'a>(expr: &'a Expr, example: &str) -> syn::Result<&'a LitStr> {
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
fn predicates(expr: &Expr) -> syn::Result<Vec<WherePredicate>> {
    let text = string(expr, "bound = \"T: MyTrait\"")?;
    let parsed = text.parse_with(Punctuated::<WherePredicate, Token![,]>::parse_terminated)?;
    Ok(parsed.into_iter().collect())
}

/// The item's `#[serde(...)]` attributes without `crate = ...` (the mirror names the
/// crate itself).
fn container_attrs(attrs: &[Attribute]) -> syn::Result<Vec<Attribute>> {
    let mut kept = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let Meta::List(list) = &attr.meta else {
            kept.push(attr.clone());
            continue;
        };
        let items = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        let rest: Vec<&Meta> = items
            .iter()
            .filter(|meta| !meta.path().is_ident("crate"))
            .collect();
        if !rest.is_empty() {
            kept.push(syn::parse_quote!(#[serde(#(#rest),*)]));
        }
    }
    Ok(kept)
}

fn serde_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .cloned()
        .collect()
}

fn keep_serde_on_fields(fields: &mut Fields) {
    for field in fields.iter_mut() {
        field.attrs = serde_attrs(&field.attrs);
    }
}
