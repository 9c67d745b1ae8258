//! Where Azure's regions are, as `GET /subscriptions/{id}/locations` reports them in
//! `metadata`: taken from Microsoft's recording of that call
//! (`recordings/azure-mgmt-resource-20.0.0/test_mgmt_resource_subscriptions.test_subscriptions.yaml`,
//! MIT) for the regions of the simulated catalogue it knew; newer regions have none here.

/// (name, geographyGroup, physicalLocation, latitude, longitude)
const REGIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("eastus", "US", "Virginia", "37.3719", "-79.8164"),
    ("eastus2", "US", "Virginia", "36.6681", "-78.3889"),
    ("centralus", "US", "Iowa", "41.5908", "-93.6208"),
    ("southcentralus", "US", "Texas", "29.4167", "-98.5"),
    ("westus2", "US", "Washington", "47.233", "-119.852"),
    ("westus3", "US", "Phoenix", "33.448376", "-112.074036"),
    ("westus", "US", "California", "37.783", "-122.417"),
    ("northcentralus", "US", "Illinois", "41.8819", "-87.6278"),
    ("westcentralus", "US", "Wyoming", "40.890", "-110.234"),
    ("canadacentral", "Canada", "Toronto", "43.653", "-79.383"),
    ("canadaeast", "Canada", "Quebec", "46.817", "-71.217"),
    (
        "brazilsouth",
        "South America",
        "Sao Paulo State",
        "-23.55",
        "-46.633",
    ),
    (
        "brazilsoutheast",
        "South America",
        "Rio",
        "-22.90278",
        "-43.2075",
    ),
    ("northeurope", "Europe", "Ireland", "53.3478", "-6.2597"),
    ("westeurope", "Europe", "Netherlands", "52.3667", "4.9"),
    ("uksouth", "Europe", "London", "50.941", "-0.799"),
    ("ukwest", "Europe", "Cardiff", "53.427", "-3.084"),
    ("francecentral", "Europe", "Paris", "46.3772", "2.3730"),
    ("francesouth", "Europe", "Marseille", "43.8345", "2.1972"),
    (
        "germanywestcentral",
        "Europe",
        "Frankfurt",
        "50.110924",
        "8.682127",
    ),
    ("germanynorth", "Europe", "Berlin", "53.073635", "8.806422"),
    ("swedencentral", "Europe", "Gävle", "60.67488", "17.14127"),
    ("swedensouth", "Europe", "Malmo", "55.6059", "13.0007"),
    (
        "switzerlandnorth",
        "Europe",
        "Zurich",
        "47.451542",
        "8.564572",
    ),
    (
        "switzerlandwest",
        "Europe",
        "Geneva",
        "46.204391",
        "6.143158",
    ),
    ("norwayeast", "Europe", "Norway", "59.913868", "10.752245"),
    ("norwaywest", "Europe", "Norway", "58.969975", "5.733107"),
    (
        "southeastasia",
        "Asia Pacific",
        "Singapore",
        "1.283",
        "103.833",
    ),
    ("eastasia", "Asia Pacific", "Hong Kong", "22.267", "114.188"),
    (
        "japaneast",
        "Asia Pacific",
        "Tokyo, Saitama",
        "35.68",
        "139.77",
    ),
    ("japanwest", "Asia Pacific", "Osaka", "34.6939", "135.5022"),
    (
        "koreacentral",
        "Asia Pacific",
        "Seoul",
        "37.5665",
        "126.9780",
    ),
    ("koreasouth", "Asia Pacific", "Busan", "35.1796", "129.0756"),
    ("centralindia", "Asia Pacific", "Pune", "18.5822", "73.9197"),
    (
        "southindia",
        "Asia Pacific",
        "Chennai",
        "12.9822",
        "80.1636",
    ),
    ("westindia", "Asia Pacific", "Mumbai", "19.088", "72.868"),
    (
        "jioindiawest",
        "Asia Pacific",
        "Jamnagar",
        "22.470701",
        "70.05773",
    ),
    (
        "jioindiacentral",
        "Asia Pacific",
        "Nagpur",
        "21.146633",
        "79.08886",
    ),
    (
        "australiaeast",
        "Asia Pacific",
        "New South Wales",
        "-33.86",
        "151.2094",
    ),
    (
        "australiasoutheast",
        "Asia Pacific",
        "Victoria",
        "-37.8136",
        "144.9631",
    ),
    (
        "australiacentral",
        "Asia Pacific",
        "Canberra",
        "-35.3075",
        "149.1244",
    ),
    (
        "australiacentral2",
        "Asia Pacific",
        "Canberra",
        "-35.3075",
        "149.1244",
    ),
    ("uaenorth", "Middle East", "Dubai", "25.266666", "55.316666"),
    (
        "uaecentral",
        "Middle East",
        "Abu Dhabi",
        "24.466667",
        "54.366669",
    ),
    ("qatarcentral", "Europe", "Doha", "25.551462", "51.439327"),
    (
        "southafricanorth",
        "Africa",
        "Johannesburg",
        "-25.731340",
        "28.218370",
    ),
    (
        "southafricawest",
        "Africa",
        "Cape Town",
        "-34.075691",
        "18.843266",
    ),
];

/// The recorded metadata of `region`, if Microsoft's recording had it.
pub(crate) fn metadata(region: &str) -> Option<serde_json::Value> {
    REGIONS
        .iter()
        .find(|r| r.0.eq_ignore_ascii_case(region))
        .map(|(_, group, place, lat, long)| {
            serde_json::json!({"geographyGroup": group, "physicalLocation": place,
                "latitude": lat, "longitude": long})
        })
}
