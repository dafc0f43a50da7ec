"""Reference numbers from independent implementations, with their source (statsmodels style).

UCLA ordered logit: Stata `ologit apply pared public gpa` on the UCLA IDRE example data
("Ordered Logistic Regression | Stata Data Analysis Examples", UCLA OARC; the same data ship in
statsmodels as miscmodels/tests/results/ologit_ucla.csv, and statsmodels' own tests use these
numbers in miscmodels/tests/test_ordinal_model.py).
"""

UCLA_OLOGIT = {
    "params": {"pared": 1.047663, "public": -0.058683, "gpa": 0.615746},
    "bse": {"pared": 0.265789, "public": 0.297859, "gpa": 0.260631},
    "cuts": [2.203323, 4.298767],
    "llf": -358.51244,
}

# R: brant::brant(MASS::polr(Smoke ~ Sex + Height, data = MASS::survey)) with Smoke ordered
# Never < Occas < Regul < Heavy: omnibus chi-squared 3.28 on 4 df.
BRANT_SURVEY = {"chi2": 3.28, "df": 4}

# Grunfeld investment data, 10 firms x 20 years (statsmodels' copy minus "American Steel"):
# within (FE) estimator, Stata `xtreg invest value capital, fe`: value 0.110124 (SE 0.011857),
# capital 0.310065 (SE 0.017355).
GRUNFELD_FE = {"value": (0.110124, 0.011857), "capital": (0.310065, 0.017355)}

# Wooldridge wage panel (Vella & Verbeek 1998 data, linearmodels.datasets.wage_panel):
# lwage on expersq, union, married with person and year effects: union 0.0800.
WAGE_FE_UNION = 0.0800
