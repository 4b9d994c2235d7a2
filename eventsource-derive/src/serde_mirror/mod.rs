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

mod attrs;
mod bounds;
mod self_type;
mod types;

use crate::ctxt::crate_path;
use attrs::{Attrs, FieldAttrs};
use bounds::Bounds;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use self_type::spell_out_self;
use syn::punctuated::Punctuated;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr, Meta, Token};

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
