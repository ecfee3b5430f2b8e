"""Reports: writers over the one results model (GradeReport): the table, JSON, HTML, Gradescope, JUnit
and CSV."""
