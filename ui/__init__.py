"""The Streamlit review app (presentation only: everything it does is in the align library)."""
