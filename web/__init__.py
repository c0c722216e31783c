"""Server-rendered pages for the people who track the portfolio."""
