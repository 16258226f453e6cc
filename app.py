"""Hutong's page: lays out the dashboard and wires widgets to functions in src/hutong."""

from pathlib import Path

import streamlit as st

from hutong import store
from hutong.paths import PROCESSED_DIR, RAW_DIR
from hutong.pipeline import build_store

st.set_page_config(page_title="Hutong 互联互通", layout="wide")


@st.cache_data
def load_documents(store_dir: str, built_at: str):
    return store.read_table(Path(store_dir), "documents", columns=["title", "source", "published_at", "script"])


@st.cache_data
def load_events(store_dir: str, built_at: str):
    return store.read_table(Path(store_dir), "events")


if not store.store_exists(PROCESSED_DIR):
    with st.spinner("Building the store from data/raw …"):
        build_store(RAW_DIR, PROCESSED_DIR, workers=1)

built_at = store.read_report(PROCESSED_DIR)["summary"]["built_at"]
st.title("Hutong 互联互通")
st.dataframe(load_documents(str(PROCESSED_DIR), built_at), hide_index=True)
st.dataframe(load_events(str(PROCESSED_DIR), built_at), hide_index=True)
