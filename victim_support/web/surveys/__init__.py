"""Damage surveys (住家被害認定調査) and the survey plan."""
