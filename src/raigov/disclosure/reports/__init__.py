"""The accountability reports (issue #19, item 6): the Directive 026-11 face recognition and face capture report,
the M-25-21 compliance plan and the annual inventory summary, built from the platform's data as HTML, PDF and DOCX
and stored with their SHA-256 (docs/reports.md)."""
