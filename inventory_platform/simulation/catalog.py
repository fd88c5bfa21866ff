"""Merchandise vocabulary: the 50 categories, brand name parts and product-name words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    nouns: tuple[str, ...]
    season: str  # a demand profile in seasonality.PROFILES
    typical_cost_usd: float  # median standard cost of a SKU in the category
    units: tuple[str, ...]  # stocking units SKUs in the category use (landing_contract.UNITS_OF_MEASURE)


_CATEGORY_LIST: tuple[Category, ...] = (
    Category("Pantry Staples", ("Pasta", "Basmati Rice", "Olive Oil", "Tomato Sauce"), "flat", 3.5,
             ("CS", "EA", "KG")),
    Category("Beverages", ("Sparkling Water", "Orange Juice", "Iced Tea", "Cola"), "summer", 2.5, ("CS", "L", "PK")),
    Category("Snacks & Confectionery", ("Dark Chocolate", "Potato Chips", "Trail Mix", "Gummy Bears"), "q4_mild", 2.8,
             ("EA", "PK", "CS")),
    Category("Coffee & Tea", ("Ground Coffee", "Espresso Beans", "Green Tea", "Coffee Pods"), "winter", 7.0,
             ("EA", "KG")),
    Category("Breakfast & Cereal", ("Granola", "Oat Flakes", "Muesli", "Pancake Mix"), "flat", 3.2, ("EA", "CS")),
    Category("Household Cleaning", ("All-Purpose Cleaner", "Dish Soap", "Glass Cleaner", "Sponges"), "flat", 3.0,
             ("EA", "L", "PK")),
    Category("Laundry Care", ("Laundry Detergent", "Fabric Softener", "Stain Remover", "Dryer Sheets"), "flat", 6.0,
             ("EA", "L")),
    Category("Paper & Wraps", ("Paper Towels", "Toilet Tissue", "Aluminium Foil", "Cling Film"), "flat", 5.0,
             ("PK", "CS")),
    Category("Personal Care", ("Body Wash", "Deodorant", "Hand Soap", "Razor Blades"), "flat", 4.5, ("EA", "PK")),
    Category("Oral Care", ("Toothpaste", "Electric Toothbrush Heads", "Mouthwash", "Dental Floss"), "flat", 3.8,
             ("EA", "PK")),
    Category("Hair Care", ("Shampoo", "Conditioner", "Hair Dryer", "Styling Gel"), "flat", 6.5, ("EA",)),
    Category("Skin Care", ("Moisturiser", "Sunscreen SPF50", "Face Serum", "Lip Balm"), "summer", 9.0, ("EA",)),
    Category("Cosmetics", ("Mascara", "Lipstick", "Foundation", "Eyeshadow Palette"), "q4_mild", 8.5, ("EA",)),
    Category("Baby Care", ("Diapers", "Baby Wipes", "Baby Formula", "Teething Gel"), "flat", 12.0, ("PK", "EA", "CS")),
    Category("Pet Supplies", ("Dry Dog Food", "Cat Litter", "Chew Toy", "Pet Shampoo"), "flat", 11.0, ("EA", "KG")),
    Category("Vitamins & Supplements", ("Multivitamin", "Vitamin D3", "Protein Powder", "Omega-3 Capsules"), "winter",
             9.5, ("EA",)),
    Category("First Aid & Health", ("Bandages", "Pain Relief Tablets", "Thermometer", "Cold & Flu Syrup"), "winter",
             5.5, ("EA", "PK")),
    Category("Kitchenware", ("Chef Knife", "Cutting Board", "Mixing Bowl Set", "Measuring Cups"), "q4_mild", 14.0,
             ("EA",)),
    Category("Small Appliances", ("Blender", "Toaster", "Air Fryer", "Electric Kettle"), "q4", 45.0, ("EA",)),
    Category("Cookware", ("Frying Pan", "Saucepan Set", "Dutch Oven", "Baking Tray"), "q4_mild", 28.0, ("EA",)),
    Category("Tableware", ("Dinner Plate Set", "Wine Glasses", "Cutlery Set", "Coffee Mugs"), "q4_mild", 16.0,
             ("EA", "PK")),
    Category("Home Decor", ("Scented Candle", "Picture Frame", "Throw Pillow", "Wall Clock"), "q4", 12.0, ("EA",)),
    Category("Bedding", ("Duvet Cover", "Pillow", "Fitted Sheet", "Weighted Blanket"), "winter", 24.0, ("EA",)),
    Category("Bath Linens", ("Bath Towel", "Hand Towel", "Bath Mat", "Bathrobe"), "flat", 11.0, ("EA", "PK")),
    Category("Furniture", ("Office Chair", "Bookcase", "Side Table", "TV Stand"), "flat", 95.0, ("EA",)),
    Category("Storage & Organization", ("Storage Box", "Drawer Organiser", "Shelf Unit", "Laundry Basket"),
             "school",
             9.0, ("EA", "PK")),
    Category("Lighting", ("LED Bulb", "Desk Lamp", "Floor Lamp", "String Lights"), "winter", 12.0, ("EA", "PK")),
    Category("Smartphones & Accessories", ("Phone Case", "USB-C Charger", "Screen Protector", "Power Bank"), "q4",
             14.0, ("EA",)),
    Category("Computers & Tablets", ("Laptop", "Tablet", "Wireless Mouse", "Mechanical Keyboard"), "school", 180.0,
             ("EA",)),
    Category("Audio & Headphones", ("Wireless Earbuds", "Bluetooth Speaker", "Over-Ear Headphones", "Soundbar"), "q4",
             55.0, ("EA",)),
    Category("TV & Home Theater", ("4K Television", "Streaming Stick", "HDMI Cable", "Wall Mount"), "q4", 150.0,
             ("EA",)),
    Category("Video Games", ("Game Controller", "Console Game", "Gaming Headset", "Gift Card"), "q4", 40.0, ("EA",)),
    Category("Holiday Decorations", ("Artificial Tree", "Ornament Set", "Wreath", "Advent Calendar"), "q4_strong", 15.0,
             ("EA", "PK")),
    Category("Smart Home", ("Smart Plug", "Video Doorbell", "Smart Thermostat", "Security Camera"), "q4", 45.0,
             ("EA",)),
    Category("Toys", ("Building Blocks", "Plush Bear", "Remote Control Car", "Doll House"), "q4_strong", 18.0, ("EA",)),
    Category("Board Games & Puzzles", ("Jigsaw Puzzle", "Strategy Board Game", "Card Game", "Chess Set"), "q4", 16.0,
             ("EA",)),
    Category("Books", ("Cookbook", "Thriller Paperback", "Children's Picture Book", "Travel Guide"), "q4_mild", 9.0,
             ("EA",)),
    Category("Stationery & Office", ("Ballpoint Pens", "Notebook", "Printer Paper", "Desk Organiser"), "school", 4.0,
             ("EA", "PK", "CS")),
    Category("School Supplies", ("Backpack", "Pencil Case", "Colouring Pencils", "Lunch Box"), "school", 8.0,
             ("EA", "PK")),
    Category("Sporting Goods", ("Football", "Tennis Racket", "Yoga Mat", "Swim Goggles"), "summer", 20.0, ("EA",)),
    Category("Outdoor & Camping", ("Camping Tent", "Sleeping Bag", "Cooler Box", "Headlamp"), "summer", 35.0, ("EA",)),
    Category("Fitness Equipment", ("Dumbbell Set", "Resistance Bands", "Kettlebell", "Exercise Bike"), "new_year", 30.0,
             ("EA", "KG")),
    Category("Bicycles & Accessories", ("Mountain Bike", "Bike Helmet", "Bike Lock", "Bike Light Set"), "summer", 40.0,
             ("EA",)),
    Category("Garden & Patio", ("Potting Soil", "Garden Hose", "Patio Chair", "Plant Seeds"), "summer_strong", 12.0,
             ("EA", "KG", "L")),
    Category("Tools & Hardware", ("Cordless Drill", "Screwdriver Set", "Tape Measure", "Wall Anchors"), "flat", 22.0,
             ("EA", "PK")),
    Category("Automotive", ("Motor Oil", "Wiper Blades", "Car Wax", "Jump Starter"), "winter", 14.0, ("EA", "L")),
    Category("Men's Apparel", ("Crew Neck T-Shirt", "Chino Trousers", "Rain Jacket", "Wool Sweater"), "winter", 18.0,
             ("EA", "PK")),
    Category("Women's Apparel", ("Summer Dress", "Denim Jeans", "Knit Cardigan", "Puffer Jacket"), "q4_mild", 20.0,
             ("EA",)),
    Category("Footwear", ("Running Shoes", "Leather Boots", "Sandals", "Slippers"), "summer", 32.0, ("EA",)),
    Category("Jewelry & Watches", ("Analog Watch", "Silver Necklace", "Stud Earrings", "Charm Bracelet"), "q4_strong",
             38.0, ("EA",)),
)
CATEGORIES = _CATEGORY_LIST
assert len(CATEGORIES) == 50


def category_code(index: int) -> str:
    return f"CAT-{index + 1:02d}"


BRAND_PREFIXES = ("Nor", "Ever", "Blue", "Summit", "Apex", "Terra", "Nova", "Silver", "Oak", "Bright",
                  "Pure", "Urban", "Coast", "Iron", "Maple", "Polar", "Sun", "Red", "Clear", "True")
BRAND_SUFFIXES = ("wind", "line", "stone", "field", "wave", "craft", "peak", "works", "leaf", "well",
                  "gate", "bay", "ridge", "star", "light", "point", "mark", "vale", "ford", "crest")

ADJECTIVES = ("Classic", "Premium", "Essential", "Organic", "Deluxe", "Compact", "Ultra", "Everyday", "Pro",
              "Eco", "Signature", "Family", "Original", "Lite", "Max", "Advanced", "Natural", "Studio")

# Pack or size descriptors per stocking unit, appended to product names.
VARIANTS = {
    "EA": ("Small", "Medium", "Large", "Black", "White", "Blue", "Grey", "Standard"),
    "CS": ("Case of 6", "Case of 12", "Case of 24"),
    "PK": ("2-Pack", "3-Pack", "6-Pack", "10-Pack"),
    "KG": ("1 kg", "2.5 kg", "5 kg", "10 kg"),
    "L": ("500 ml", "1 L", "2 L", "5 L"),
}
