//! REPORT: renderers for findings and command results. Renderers never decide; checks never print.
