"""What results look like: summaries, result folders, plots, the HTML report, console tables, narrative."""
