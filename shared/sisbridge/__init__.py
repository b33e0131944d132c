"""sisbridge: export Google Classroom grades into a district SIS over OneRoster."""

__version__ = "0.1.0"
