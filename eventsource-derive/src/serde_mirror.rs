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
//! mean what they mean on serde's own derive.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Data, DeriveInput, Fields, Meta, Token};

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

fn mirror(item: DeriveInput, which: Trait) -> syn::Result<TokenStream> {
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "the prelude's `Serialize` and `Deserialize` derives take types without generic \
             parameters; for a generic type, derive serde's own with \
             `#[derive(eventsource::serde::Serialize, eventsource::serde::Deserialize)]` and \
             `#[serde(crate = \"eventsource::serde\")]`",
        ));
    }
    let name = &item.ident;
    let remote = name.to_string();
    let mirror_name = format_ident!("__EventsourceSerde{}", name);
    let mut mirror = item.clone();
    mirror.ident = mirror_name.clone();
    mirror.vis = syn::Visibility::Inherited;
    mirror.attrs = container_attrs(&item.attrs)?;
    match &mut mirror.data {
        Data::Struct(data) => keep_serde_on_fields(&mut data.fields),
        Data::Enum(data) => {
            for variant in &mut data.variants {
                variant.attrs = serde_attrs(&variant.attrs);
                keep_serde_on_fields(&mut variant.fields);
            }
        }
        Data::Union(_) => {
            return Err(syn::Error::new_spanned(
                name,
                "serde derives no `Serialize` or `Deserialize` for a union",
            ));
        }
    }
    let (derive, implementation) = match which {
        Trait::Serialize => (
            quote!(::eventsource::serde::Serialize),
            quote! {
                impl ::eventsource::serde::Serialize for #name {
                    fn serialize<__S>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error>
                    where
                        __S: ::eventsource::serde::Serializer,
                    {
                        #mirror_name::serialize(self, serializer)
                    }
                }
            },
        ),
        Trait::Deserialize => (
            quote!(::eventsource::serde::Deserialize),
            quote! {
                impl<'de> ::eventsource::serde::Deserialize<'de> for #name {
                    fn deserialize<__D>(deserializer: __D) -> ::core::result::Result<Self, __D::Error>
                    where
                        __D: ::eventsource::serde::Deserializer<'de>,
                    {
                        #mirror_name::deserialize(deserializer)
                    }
                }
            },
        ),
    };
    Ok(quote! {
        const _: () = {
            #[derive(#derive)]
            #[serde(crate = "::eventsource::serde", remote = #remote)]
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
