//! The bounds serde's derive puts on the mirror's functions, inferred as serde infers
//! them, so that the item's impl states the same ones.

use super::Trait;
use super::attrs::{Attrs, FieldAttrs, FieldDefault};
use super::types::ungroup;
use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Generics, Ident, Lifetime, Token, Type, WherePredicate};

/// The bounds of the item's impl beyond its own where clause, as serde's derive puts them
/// on the mirror's function.
pub(super) struct Bounds {
    /// Those of the `bound` attributes of fields and variants, then the container's
    /// `bound` or, without one, the inferred bounds.
    pub(super) predicates: Vec<WherePredicate>,
    /// The inferred bounds, which the mirror is given as its `bound` (serde's inference
    /// would name the mirror, not the item, in `Self: Default`); `None` when the container
    /// has a `bound` for this trait.
    pub(super) inferred: Option<Vec<WherePredicate>>,
    /// `Deserialize`'s lifetime: `'de`, or `'static` when a field borrows `'static`.
    pub(super) de_lifetime: Lifetime,
    /// `'de: 'a + ...`, one bound for each borrowed lifetime; none for `'static`.
    pub(super) de_param: Option<syn::LifetimeParam>,
}

impl Bounds {
    pub(super) fn infer(
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
pub(super) fn de_lifetime(fields: &[FieldAttrs]) -> (Lifetime, Option<syn::LifetimeParam>) {
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
pub(super) fn inferred(
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
pub(super) fn type_param_bounds<'a>(
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
pub(super) struct TypeParams<'a> {
    pub(super) all: Vec<&'a Ident>,
    pub(super) used: Vec<&'a Ident>,
}

impl<'a> TypeParams<'a> {
    pub(super) fn visit_type(&mut self, ty: &Type) {
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

    pub(super) fn visit_path(&mut self, path: &syn::Path) {
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

    pub(super) fn visit_return(&mut self, output: &syn::ReturnType) {
        if let syn::ReturnType::Type(_, ty) = output {
            self.visit_type(ty);
        }
    }

    pub(super) fn visit_bounds(&mut self, bounds: &Punctuated<syn::TypeParamBound, Token![+]>) {
        for bound in bounds {
            if let syn::TypeParamBound::Trait(bound) = bound {
                self.visit_path(&bound.path);
            }
        }
    }
}
