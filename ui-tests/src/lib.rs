//! trybuild pass and fail cases for the `eventsource` macros; everything lives in `tests/`.
