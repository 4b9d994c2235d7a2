//! `Self` in the item's field types, written out as the item for the mirror.

use syn::{Data, DeriveInput, Field, Type};

/// `Self` in the item's field types written as the item (`Item<T>`, `<Item<T>>::Assoc`):
/// in the mirror `Self` would be the mirror, and serde's derive infers its bounds from
/// the written-out types too.
pub(super) fn spell_out_self(item: &mut DeriveInput) {
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

pub(super) fn replace_self(ty: &mut Type, this: &Type) {
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
